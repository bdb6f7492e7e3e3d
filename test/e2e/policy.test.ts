/**
 * /v1/policy end to end through the real server: rules take effect on the next
 * request, built-ins are immutable, bad rules are 400 and change nothing, evaluate
 * explains decisions, and explicit denies are audited.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { createHuman, type TestServer, useServer } from "../helpers/server";

let s: TestServer;
let admin: string;
let ops1: string; // id of a human with role ops
let opsTok: string;
let staging: string; // account tagged env:staging
let prod: string; // account tagged env:prod

/** First instant of next month, UTC: "until the end of the month". */
function endOfMonth(): string {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();
}

async function auditOf(type: string) {
  const r = await s.call("GET", `/v1/audit?type=${type}&limit=500`, { token: admin });
  expect(r.status).toBe(200);
  return r.body.events as { type: string; actor: string | null; details: Record<string, unknown> }[];
}

async function storedRules() {
  const r = await s.call("GET", "/v1/policy/rules", { token: admin });
  expect(r.status).toBe(200);
  return r.body as { id: number }[];
}

async function createRule(rule: unknown): Promise<{ id: number } & Record<string, unknown>> {
  const r = await s.call("POST", "/v1/policy/rules", { token: admin, json: rule });
  if (r.status !== 201) throw new Error(`create rule: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

useServer((x) => { s = x; });
beforeAll(async () => {
  admin = await s.adminToken();
  ops1 = await createHuman(s, "ops1", "ops1-password-123", ["ops"]);
  opsTok = await s.login("ops1", "ops1-password-123");
  staging = await createHuman(s, "stg-app");
  prod = await createHuman(s, "prd-app");
  expect((await s.call("PUT", `/v1/accounts/${staging}/tags`, { token: admin, json: { tags: ["env:staging"] } })).status).toBe(200);
  expect((await s.call("PUT", `/v1/accounts/${prod}/tags`, { token: admin, json: { tags: ["env:prod"] } })).status).toBe(200);
});

describe("listing and built-ins", () => {
  test("admin lists the built-ins (negative ids) in §5 shape", async () => {
    const rules = await storedRules();
    const builtins = rules.filter((r) => r.id < 0);
    expect(builtins.map((r) => r.id).sort((a, b) => b - a)).toEqual([-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12]);
    for (const r of rules) {
      expect(Object.keys(r).every((k) => ["id", "description", "effect", "priority", "enabled", "not_before", "expires_at", "match"].includes(k))).toBe(true);
    }
    const one = await s.call("GET", "/v1/policy/rules/-1", { token: admin });
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ id: -1, description: "admins may do everything", effect: "allow", priority: 0, enabled: true, match: { roles: ["admin"] } });
  });

  test("built-ins cannot be changed or deleted (403) and stay as they were", async () => {
    const before = await storedRules();
    const p = await s.call("PATCH", "/v1/policy/rules/-1", { token: admin, json: { enabled: false } });
    expect(p.status).toBe(403);
    expect(p.body.code).toBe("forbidden");
    const d = await s.call("DELETE", "/v1/policy/rules/-4", { token: admin });
    expect(d.status).toBe(403);
    expect(d.body.code).toBe("forbidden");
    expect(await storedRules()).toEqual(before);
    // An admin can still do everything: the built-in was not disabled.
    expect((await s.call("GET", "/v1/accounts", { token: admin })).status).toBe(200);
  });

  test("unknown ids are 404, also negative ones", async () => {
    for (const id of ["-99", "99999", "0", "abc"]) {
      expect((await s.call("GET", `/v1/policy/rules/${id}`, { token: admin })).body.code).toBe("not_found");
    }
    expect((await s.call("PATCH", "/v1/policy/rules/-99", { token: admin, json: { enabled: false } })).status).toBe(404);
    expect((await s.call("DELETE", "/v1/policy/rules/99999", { token: admin })).status).toBe(404);
  });

  test("without policy:read: 403; without a token: 401", async () => {
    expect((await s.call("GET", "/v1/policy/rules", { token: opsTok })).status).toBe(403);
    expect((await s.call("GET", "/v1/policy/rules/-1", { token: opsTok })).status).toBe(403);
    expect((await s.call("POST", "/v1/policy/rules", { token: opsTok, json: { description: "x", effect: "allow", match: {} } })).status).toBe(403);
    expect((await s.call("GET", "/v1/policy/rules")).status).toBe(401);
    expect((await s.call("POST", "/v1/policy/evaluate", { json: { subject_id: ops1, action: "accounts:read", resource: { type: "account" } } })).status).toBe(401);
  });
});

describe("the ops/staging example", () => {
  test("a rule takes effect on the next request, and evaluate explains it", async () => {
    expect((await s.call("GET", `/v1/accounts/${staging}`, { token: opsTok })).status).toBe(403);
    const ev0 = await s.call("POST", "/v1/policy/evaluate", { token: admin, json: { subject_id: ops1, action: "accounts:read", resource: { type: "account", id: staging } } });
    expect(ev0.body).toEqual({ effect: "deny", rule_id: null, rule_description: null });

    const until = endOfMonth();
    const rule = await createRule({
      description: "ops may read staging accounts until the end of the month",
      effect: "allow", priority: 50,
      expires_at: until,
      match: { roles: ["ops"], actions: ["accounts:read"], resource_types: ["account"], required_tags: ["env:staging"] },
    });
    expect(rule).toEqual({
      id: rule.id, description: "ops may read staging accounts until the end of the month", effect: "allow", priority: 50, enabled: true,
      expires_at: until, match: { roles: ["ops"], actions: ["accounts:read"], resource_types: ["account"], required_tags: ["env:staging"] },
    });
    expect(rule.id).toBeGreaterThan(0);
    expect((await s.call("GET", `/v1/policy/rules/${rule.id}`, { token: admin })).body).toEqual(rule);

    const r = await s.call("GET", `/v1/accounts/${staging}`, { token: opsTok });
    expect(r.status).toBe(200);
    expect(r.body.username).toBe("stg-app");
    expect((await s.call("GET", `/v1/accounts/${prod}`, { token: opsTok })).status).toBe(403);
    // Listing all accounts is not an account carrying the tag.
    expect((await s.call("GET", "/v1/accounts", { token: opsTok })).status).toBe(403);

    const ev = await s.call("POST", "/v1/policy/evaluate", { token: admin, json: { subject_id: ops1, action: "accounts:read", resource: { type: "account", id: staging } } });
    expect(ev.status).toBe(200);
    expect(ev.body).toEqual({ effect: "allow", rule_id: rule.id, rule_description: "ops may read staging accounts until the end of the month" });
    const evProd = await s.call("POST", "/v1/policy/evaluate", { token: admin, json: { subject_id: ops1, action: "accounts:read", resource: { type: "account", id: prod } } });
    expect(evProd.body).toEqual({ effect: "deny", rule_id: null, rule_description: null });
    // The rule grants reading, nothing else.
    const evWrite = await s.call("POST", "/v1/policy/evaluate", { token: admin, json: { subject_id: ops1, action: "tags:write", resource: { type: "account", id: staging } } });
    expect(evWrite.body.effect).toBe("deny");

    // Disabled: gone on the next request; enabled again: back.
    const off = await s.call("PATCH", `/v1/policy/rules/${rule.id}`, { token: admin, json: { enabled: false } });
    expect(off.status).toBe(200);
    expect(off.body.enabled).toBe(false);
    expect((await s.call("GET", `/v1/accounts/${staging}`, { token: opsTok })).status).toBe(403);
    expect((await s.call("PATCH", `/v1/policy/rules/${rule.id}`, { token: admin, json: { enabled: true } })).status).toBe(200);
    expect((await s.call("GET", `/v1/accounts/${staging}`, { token: opsTok })).status).toBe(200);

    // Expired (window moved into the past): no longer matches.
    const past = await s.call("PATCH", `/v1/policy/rules/${rule.id}`, { token: admin, json: { not_before: "2020-01-01T00:00:00Z", expires_at: "2020-02-01T00:00:00+01:00" } });
    expect(past.status).toBe(200);
    expect(past.body.expires_at).toBe("2020-01-31T23:00:00.000Z");
    expect((await s.call("GET", `/v1/accounts/${staging}`, { token: opsTok })).status).toBe(403);
    // Not yet valid: no match either.
    expect((await s.call("PATCH", `/v1/policy/rules/${rule.id}`, { token: admin, json: { not_before: "2999-01-01T00:00:00Z", expires_at: null } })).status).toBe(200);
    expect((await s.call("GET", `/v1/accounts/${staging}`, { token: opsTok })).status).toBe(403);
    const back = await s.call("PATCH", `/v1/policy/rules/${rule.id}`, { token: admin, json: { not_before: null, expires_at: until } });
    expect(back.body).toEqual(rule);
    expect((await s.call("GET", `/v1/accounts/${staging}`, { token: opsTok })).status).toBe(200);

    const created = (await auditOf("policy_rule_created")).filter((e) => e.details.rule_id === rule.id);
    expect(created).toHaveLength(1);
    expect(created[0]!.actor).toBe("admin");
    const updated = (await auditOf("policy_rule_updated")).filter((e) => e.details.rule_id === rule.id);
    expect(updated).toHaveLength(5);
  });

  test("an explicit deny beats the allow, answers 403 and is audited as policy_deny", async () => {
    const deny = await createRule({
      description: "no staging reads for ops1 today", effect: "deny", priority: 500,
      match: { subject_ids: [ops1], actions: ["accounts:read"] },
    });
    const before = (await auditOf("policy_deny")).length;
    const r = await s.call("GET", `/v1/accounts/${staging}`, { token: opsTok });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe("forbidden");
    const rows = (await auditOf("policy_deny"));
    expect(rows.length).toBe(before + 1);
    expect(rows[0]!.actor).toBe("ops1");
    expect(rows[0]!.details).toMatchObject({ action: "accounts:read", rule_id: deny.id });
    // Evaluate names the deny (deny wins regardless of priority) and writes no audit row.
    const ev = await s.call("POST", "/v1/policy/evaluate", { token: admin, json: { subject_id: ops1, action: "accounts:read", resource: { type: "account", id: staging } } });
    expect(ev.body).toEqual({ effect: "deny", rule_id: deny.id, rule_description: "no staging reads for ops1 today" });
    expect((await auditOf("policy_deny")).length).toBe(before + 1);

    expect((await s.call("DELETE", `/v1/policy/rules/${deny.id}`, { token: admin })).status).toBe(204);
    expect((await s.call("GET", `/v1/policy/rules/${deny.id}`, { token: admin })).status).toBe(404);
    expect((await s.call("GET", `/v1/accounts/${staging}`, { token: opsTok })).status).toBe(200);
    expect((await auditOf("policy_rule_deleted")).some((e) => e.details.rule_id === deny.id)).toBe(true);
  });

  test("a stored deny narrows even an admin (deny wins over built-in -1)", async () => {
    const locked = await createHuman(s, "locked-acct");
    expect((await s.call("PUT", `/v1/accounts/${locked}/tags`, { token: admin, json: { tags: ["frozen"] } })).status).toBe(200);
    const deny = await createRule({ description: "frozen accounts keep their tags", effect: "deny", match: { actions: ["tags:write"], required_tags: ["frozen"] } });
    const r = await s.call("PUT", `/v1/accounts/${locked}/tags`, { token: admin, json: { tags: [] } });
    expect(r.status).toBe(403);
    expect((await s.call("GET", `/v1/accounts/${locked}/tags`, { token: admin })).body).toEqual({ tags: ["frozen"] });
    // Switching the effect to allow is a recorded change, and lifts the freeze.
    const p = await s.call("PATCH", `/v1/policy/rules/${deny.id}`, { token: admin, json: { effect: "allow" } });
    expect(p.status).toBe(200);
    const upd = (await auditOf("policy_rule_updated")).find((e) => e.details.rule_id === deny.id)!;
    expect(upd.details).toMatchObject({ changed: ["effect"], effect: "allow" });
    expect((await s.call("PUT", `/v1/accounts/${locked}/tags`, { token: admin, json: { tags: [] } })).status).toBe(200);
    expect((await s.call("DELETE", `/v1/policy/rules/${deny.id}`, { token: admin })).status).toBe(204);
  });
});

describe("policy:read holders", () => {
  test("a rule granting policy:read lets an auditor read rules, not write them", async () => {
    await createHuman(s, "aud1", "aud1-password-123", ["auditor"]);
    const tok = await s.login("aud1", "aud1-password-123");
    expect((await s.call("GET", "/v1/policy/rules", { token: tok })).status).toBe(403);
    const grant = await createRule({ description: "auditors read policy", effect: "allow", match: { roles: ["auditor"], actions: ["policy:read"] } });
    const list = await s.call("GET", "/v1/policy/rules", { token: tok });
    expect(list.status).toBe(200);
    expect(list.body.some((r: { id: number }) => r.id === grant.id)).toBe(true);
    expect((await s.call("POST", "/v1/policy/rules", { token: tok, json: { description: "x", effect: "allow", match: { roles: ["auditor"] } } })).status).toBe(403);
    expect((await s.call("PATCH", `/v1/policy/rules/${grant.id}`, { token: tok, json: { enabled: false } })).status).toBe(403);
    expect((await s.call("DELETE", `/v1/policy/rules/${grant.id}`, { token: tok })).status).toBe(403);
    // Evaluate needs read access to the accounts it names: an auditor cannot probe ops1.
    const ev = await s.call("POST", "/v1/policy/evaluate", { token: tok, json: { subject_id: ops1, action: "accounts:read", resource: { type: "account", id: staging } } });
    expect(ev.status).toBe(403);
    expect((await s.call("DELETE", `/v1/policy/rules/${grant.id}`, { token: admin })).status).toBe(204);
  });
});

describe("validation: 400 and nothing changed", () => {
  const good = { description: "ok", effect: "allow", match: { roles: ["ops"] } };
  const bad: [string, unknown][] = [
    ["effect enum", { ...good, effect: "maybe" }],
    ["priority fraction", { ...good, priority: 1.5 }],
    ["priority negative", { ...good, priority: -1 }],
    ["priority too large", { ...good, priority: 10001 }],
    ["priority as string", { ...good, priority: "3" }],
    ["empty description", { ...good, description: "" }],
    ["blank description", { ...good, description: "   " }],
    ["long description", { ...good, description: "x".repeat(257) }],
    ["control char in description", { ...good, description: "a\nb" }],
    ["not_before not RFC 3339", { ...good, not_before: "yesterday" }],
    ["time without offset", { ...good, not_before: "2026-01-01T00:00:00" }],
    ["impossible date", { ...good, expires_at: "2026-02-30T00:00:00Z" }],
    ["not_before after expires_at", { ...good, not_before: "2026-03-01T00:00:00Z", expires_at: "2026-02-01T00:00:00Z" }],
    ["empty window", { ...good, not_before: "2026-03-01T00:00:00Z", expires_at: "2026-03-01T01:00:00+01:00" }],
    ["unknown top-level field", { ...good, id: 5 }],
    ["missing match", { description: "x", effect: "allow" }],
    ["missing effect", { description: "x", match: {} }],
    ["unknown match field", { ...good, match: { roles: ["ops"], colour: ["red"] } }],
    ["built-in-only match field", { ...good, match: { subject_is_delegate: true } }],
    ["bad role name", { ...good, match: { roles: ["Bad Role"] } }],
    ["empty roles", { ...good, match: { roles: [] } }],
    ["unknown action", { ...good, match: { actions: ["accounts:fly"] } }],
    ["unknown resource type", { ...good, match: { resource_types: ["planet"] } }],
    ["bad tag", { ...good, match: { required_tags: ["bad tag!"] } }],
    ["bad subject id", { ...good, match: { subject_ids: ["not-a-uuid"] } }],
    ["bad account type", { ...good, match: { account_types: ["robot"] } }],
    ["owner_is_subject not boolean", { ...good, match: { owner_is_subject: "yes" } }],
    ["bad service name", { ...good, match: { services: ["UPPER"] } }],
    ["match not an object", { ...good, match: ["roles"] }],
    ["enabled not boolean", { ...good, enabled: "true" }],
  ];

  test.each(bad)("POST rejects: %s", async (_name, body) => {
    const before = await storedRules();
    const createdBefore = (await auditOf("policy_rule_created")).length;
    const r = await s.call("POST", "/v1/policy/rules", { token: admin, json: body });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("bad_request");
    expect(Object.keys(r.body).sort()).toEqual(["code", "error"]);
    expect(await storedRules()).toEqual(before);
    expect((await auditOf("policy_rule_created")).length).toBe(createdBefore);
  });

  test("malformed JSON and non-object bodies are 400", async () => {
    const raw = await s.fetch("/v1/policy/rules", { method: "POST", token: admin, headers: { "content-type": "application/json" }, body: "{nope" });
    expect(raw.status).toBe(400);
    expect((await s.call("POST", "/v1/policy/rules", { token: admin, json: [good] })).status).toBe(400);
  });

  test("PATCH with a bad field is 400 and leaves the rule unchanged", async () => {
    const rule = await createRule({ ...good, description: "patch target", not_before: "2026-01-01T00:00:00Z" });
    const patches: unknown[] = [
      { effect: "nope" }, { priority: 2.5 }, { description: "" }, { match: { actions: ["nope:nope"] } },
      { expires_at: "2025-12-31T00:00:00Z" }, { not_before: "garbage" }, { id: 7 }, { match: { roles: ["ops"], extra: true } },
    ];
    for (const p of patches) {
      const r = await s.call("PATCH", `/v1/policy/rules/${rule.id}`, { token: admin, json: p });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("bad_request");
    }
    expect((await s.call("GET", `/v1/policy/rules/${rule.id}`, { token: admin })).body).toEqual(rule);
    expect((await auditOf("policy_rule_updated")).some((e) => e.details.rule_id === rule.id)).toBe(false);
    expect((await s.call("DELETE", `/v1/policy/rules/${rule.id}`, { token: admin })).status).toBe(204);
  });

  test("evaluate validates its input", async () => {
    const ev = (json: unknown) => s.call("POST", "/v1/policy/evaluate", { token: admin, json });
    expect((await ev({ subject_id: ops1, action: "accounts:fly", resource: { type: "account" } })).status).toBe(400);
    expect((await ev({ subject_id: ops1, action: "accounts:read", resource: { type: "planet" } })).status).toBe(400);
    expect((await ev({ subject_id: ops1, action: "vault:seal", resource: { type: "vault", id: staging } })).status).toBe(400);
    expect((await ev({ subject_id: ops1, action: "accounts:read", resource: { type: "account" }, extra: 1 })).status).toBe(400);
    expect((await ev({ subject_id: crypto.randomUUID(), action: "accounts:read", resource: { type: "account" } })).status).toBe(404);
    expect((await ev({ subject_id: ops1, action: "accounts:read", resource: { type: "account", id: crypto.randomUUID() } })).status).toBe(404);
    // Built-ins explained: self-read and the admin rule.
    expect((await ev({ subject_id: ops1, action: "accounts:read", resource: { type: "account", id: ops1 } })).body)
      .toEqual({ effect: "allow", rule_id: -2, rule_description: "any account may read itself and its own tokens" });
    const me = (await s.call("GET", "/v1/auth/me", { token: admin })).body.id as string;
    expect((await ev({ subject_id: me, action: "vault:seal", resource: { type: "vault" } })).body)
      .toMatchObject({ effect: "allow", rule_id: -1 });
    expect((await ev({ subject_id: ops1, action: "vault:seal", resource: { type: "vault" } })).body)
      .toEqual({ effect: "deny", rule_id: null, rule_description: null });
  });
});
