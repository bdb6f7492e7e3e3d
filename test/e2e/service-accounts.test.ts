/**
 * System accounts through the real HTTPS API (SPEC §2, §3, §4): one valid token at a
 * time (also under concurrent issue calls), who may issue it (admin, role-named
 * human, delegate; not the account itself, not an unrelated human), delegates
 * (admin-only, human grantees), and revocation effective on the next request.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { createHuman, createSystem, type TestServer, useServer } from "../helpers/server";

let s: TestServer;
let admin: string;
useServer((x) => { s = x; });
beforeAll(async () => {
  admin = await s.adminToken();
});

const HOUR = 3600_000;

async function issue(id: string, token: string) {
  return s.call("POST", `/v1/accounts/${id}/token`, { token });
}
async function valid(token: string): Promise<boolean> {
  return (await s.call("POST", "/v1/token/validate", { json: { token } })).body.valid === true;
}
async function liveTokens(id: string) {
  const r = await s.call("GET", `/v1/accounts/${id}/tokens`, { token: admin });
  expect(r.status).toBe(200);
  return (r.body as { jti: string; revoked_at: string | null }[]).filter((t) => t.revoked_at === null);
}
async function auditEvents(type: string, account?: string) {
  const q = new URLSearchParams({ type, limit: "500", ...(account ? { account } : {}) });
  const r = await s.call("GET", `/v1/audit?${q}`, { token: admin });
  expect(r.status).toBe(200);
  return r.body.events as { type: string; target_id: string | null; actor: string | null; details: Record<string, unknown> }[];
}

describe("system account tokens", () => {
  test("a system account has no password and cannot log in", async () => {
    const bad = await s.call("POST", "/v1/accounts", { token: admin, json: { username: "svc-pw", account_type: "system", password: "a-long-password-123" } });
    expect(bad.status).toBe(400);
    await createSystem(s, "svc-login");
    const r = await s.call("POST", "/v1/auth/login", { json: { username: "svc-login", password: "anything-at-all-1" } });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe("unauthorized");
  });

  test("admin issues a service-lifetime token; issuing again revokes the previous one; audited", async () => {
    const id = await createSystem(s, "svc-issue");
    const before = Date.now();
    const r1 = await issue(id, admin);
    expect(r1.status).toBe(200);
    expect(Object.keys(r1.body).sort()).toEqual(["expires_at", "jti", "token"]);
    expect(r1.headers.get("cache-control")).toBe("no-store");
    const lifetime = Date.parse(r1.body.expires_at) - before;
    expect(lifetime).toBeGreaterThan(8760 * HOUR - 5 * 60_000);
    expect(lifetime).toBeLessThan(8760 * HOUR + 5 * 60_000);
    const v = await s.call("POST", "/v1/token/validate", { json: { token: r1.body.token } });
    expect(v.body).toMatchObject({ valid: true, sub: id, username: "svc-issue", account_type: "system", jti: r1.body.jti });
    // The token authenticates its system account.
    const me = await s.call("GET", "/v1/auth/me", { token: r1.body.token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(id);

    const r2 = await issue(id, admin);
    expect(r2.status).toBe(200);
    expect(r2.body.jti).not.toBe(r1.body.jti);
    expect(await valid(r1.body.token)).toBe(false);
    expect(await valid(r2.body.token)).toBe(true);
    expect((await liveTokens(id)).map((t) => t.jti)).toEqual([r2.body.jti]);

    const issued = (await auditEvents("token_issued")).filter((e) => e.target_id === id);
    expect(issued.map((e) => e.details.jti).sort()).toEqual([r1.body.jti, r2.body.jti].sort());
    expect(issued.every((e) => e.actor === "admin")).toBe(true);
    const revoked = (await auditEvents("token_revoked")).filter((e) => e.target_id === id);
    expect(revoked.map((e) => e.details.jti)).toEqual([r1.body.jti]);
    // No audit row carries the token itself.
    for (const e of [...issued, ...revoked]) expect(JSON.stringify(e)).not.toContain(r2.body.token.split(".")[2]);
  });

  test("exactly one valid token after many concurrent issue calls", async () => {
    const id = await createSystem(s, "svc-race");
    const N = 24;
    const results = await Promise.all(Array.from({ length: N }, () => issue(id, admin)));
    for (const r of results) expect(r.status).toBe(200);
    expect(new Set(results.map((r) => r.body.jti)).size).toBe(N);
    const live = await liveTokens(id);
    expect(live.length).toBe(1);
    const validity = await Promise.all(results.map((r) => valid(r.body.token)));
    expect(validity.filter(Boolean).length).toBe(1);
    const winner = results[validity.indexOf(true)]!;
    expect(live[0]!.jti).toBe(winner.body.jti);
  });

  test("the system account itself cannot issue its own token; it reads its own token list", async () => {
    const id = await createSystem(s, "svc-self");
    const tok = (await issue(id, admin)).body.token as string;
    const r = await issue(id, tok);
    expect(r.status).toBe(403);
    expect(r.body.code).toBe("forbidden");
    expect(await valid(tok)).toBe(true); // the refused call revoked nothing
    const list = await s.call("GET", `/v1/accounts/${id}/tokens`, { token: tok });
    expect(list.status).toBe(200);
    expect(list.body.length).toBe(1);
  });

  test("inactive system account: issuing is refused and nothing is revoked", async () => {
    const id = await createSystem(s, "svc-inactive");
    const first = await issue(id, admin);
    expect((await s.call("PATCH", `/v1/accounts/${id}`, { token: admin, json: { status: "inactive" } })).status).toBe(200);
    const r = await issue(id, admin);
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("conflict");
    const all = await s.call("GET", `/v1/accounts/${id}/tokens`, { token: admin });
    expect(all.body.map((t: { jti: string }) => t.jti)).toEqual([first.body.jti]);
  });
});

describe("who may manage a system account", () => {
  test("a human with a role named like the system account issues and revokes; removing the role takes effect on the next request", async () => {
    const id = await createSystem(s, "svc-role");
    const hid = await createHuman(s, "rolly", "rolly-password-123", ["svc-role"]);
    const tok = await s.login("rolly", "rolly-password-123");
    const r = await issue(id, tok);
    expect(r.status).toBe(200);
    const issuedRow = (await auditEvents("token_issued")).find((e) => e.details.jti === r.body.jti);
    expect(issuedRow?.actor).toBe("rolly");
    // It may list and revoke that token too.
    expect((await s.call("GET", `/v1/accounts/${id}/tokens`, { token: tok })).status).toBe(200);
    expect((await s.call("DELETE", `/v1/token/${r.body.jti}`, { token: tok })).status).toBe(204);
    expect(await valid(r.body.token)).toBe(false);
    // A role named like another service grants nothing here.
    const other = await createSystem(s, "svc-role-other");
    expect((await issue(other, tok)).status).toBe(403);
    // Delegates are admin-only, even for a role holder.
    expect((await s.call("GET", `/v1/accounts/${id}/token/delegates`, { token: tok })).status).toBe(403);

    expect((await s.call("DELETE", `/v1/accounts/${hid}/roles/svc-role`, { token: admin })).status).toBe(200);
    const after = await issue(id, tok);
    expect(after.status).toBe(403);
    expect(after.body.code).toBe("forbidden");
  });

  test("a delegate issues and revokes; delegates are admin-only; revoking the delegation takes effect on the next request", async () => {
    const id = await createSystem(s, "svc-deleg");
    const did = await createHuman(s, "della");
    const tok = await s.login("della", "della-password-123");
    expect((await issue(id, tok)).status).toBe(403);

    const g = await s.call("POST", `/v1/accounts/${id}/token/delegates`, { token: admin, json: { grantee_id: did } });
    expect(g.status).toBe(201);
    expect(Object.keys(g.body).sort()).toEqual(["granted_at", "grantee_id", "username"]);
    expect(g.body).toMatchObject({ grantee_id: did, username: "della" });
    const again = await s.call("POST", `/v1/accounts/${id}/token/delegates`, { token: admin, json: { grantee_id: did } });
    expect(again.status).toBe(200);
    const list = await s.call("GET", `/v1/accounts/${id}/token/delegates`, { token: admin });
    expect(list.status).toBe(200);
    expect(list.body).toEqual([g.body]);
    expect((await auditEvents("token_delegate_granted")).filter((e) => e.target_id === id).length).toBe(1);

    const r = await issue(id, tok);
    expect(r.status).toBe(200);
    expect(await valid(r.body.token)).toBe(true);
    expect((await s.call("DELETE", `/v1/token/${r.body.jti}`, { token: tok })).status).toBe(204);
    // The delegate cannot manage delegates.
    expect((await s.call("GET", `/v1/accounts/${id}/token/delegates`, { token: tok })).status).toBe(403);
    expect((await s.call("POST", `/v1/accounts/${id}/token/delegates`, { token: tok, json: { grantee_id: did } })).status).toBe(403);
    expect((await s.call("DELETE", `/v1/accounts/${id}/token/delegates/${did}`, { token: tok })).status).toBe(403);

    const del = await s.call("DELETE", `/v1/accounts/${id}/token/delegates/${did}`, { token: admin });
    expect(del.status).toBe(204);
    expect((await issue(id, tok)).status).toBe(403);
    expect((await s.call("GET", `/v1/accounts/${id}/token/delegates`, { token: admin })).body).toEqual([]);
    const rev = (await auditEvents("token_delegate_revoked")).filter((e) => e.target_id === id);
    expect(rev.length).toBe(1);
    expect(rev[0]!.details.grantee_id).toBe(did);
    // Revoking again: nothing to revoke.
    const twice = await s.call("DELETE", `/v1/accounts/${id}/token/delegates/${did}`, { token: admin });
    expect(twice.status).toBe(404);
  });

  test("an unrelated human may not issue, list tokens, or see delegates", async () => {
    const id = await createSystem(s, "svc-private");
    await createHuman(s, "nosy");
    const tok = await s.login("nosy", "nosy-password-123");
    for (const [m, p] of [
      ["POST", `/v1/accounts/${id}/token`], ["GET", `/v1/accounts/${id}/tokens`], ["GET", `/v1/accounts/${id}/token/delegates`],
    ] as const) {
      const r = await s.call(m, p, { token: tok });
      expect(r.status).toBe(403);
      expect(r.body.code).toBe("forbidden");
    }
    expect((await liveTokens(id)).length).toBe(0);
    expect((await s.call("POST", `/v1/accounts/${id}/token`)).status).toBe(401);
  });

  test("a delegate of one service cannot manage another", async () => {
    const a = await createSystem(s, "svc-a1");
    const b = await createSystem(s, "svc-b1");
    const hid = await createHuman(s, "dana");
    expect((await s.call("POST", `/v1/accounts/${a}/token/delegates`, { token: admin, json: { grantee_id: hid } })).status).toBe(201);
    const tok = await s.login("dana", "dana-password-123");
    expect((await issue(a, tok)).status).toBe(200);
    expect((await issue(b, tok)).status).toBe(403);
  });
});

describe("bad input changes nothing", () => {
  test("unknown account 404, human account 400, non-human or unknown grantee, malformed bodies", async () => {
    const id = await createSystem(s, "svc-bad");
    const hid = await createHuman(s, "hank");
    const other = await createSystem(s, "svc-bad-other");
    const unknown = crypto.randomUUID();
    const auditBefore = (await auditEvents("token_delegate_granted")).length;
    const issuedBefore = (await auditEvents("token_issued")).length;

    const cases: [string, string, unknown, number, string][] = [
      ["POST", `/v1/accounts/${unknown}/token`, undefined, 404, "not_found"],
      ["POST", `/v1/accounts/${hid}/token`, undefined, 400, "bad_request"],
      ["POST", `/v1/accounts/not-a-uuid/token`, undefined, 400, "bad_request"],
      ["GET", `/v1/accounts/${unknown}/token/delegates`, undefined, 404, "not_found"],
      ["GET", `/v1/accounts/${hid}/token/delegates`, undefined, 400, "bad_request"],
      ["POST", `/v1/accounts/${id}/token/delegates`, { grantee_id: other }, 400, "bad_request"],
      ["POST", `/v1/accounts/${id}/token/delegates`, { grantee_id: unknown }, 404, "not_found"],
      ["POST", `/v1/accounts/${id}/token/delegates`, { grantee_id: "nope" }, 400, "bad_request"],
      ["POST", `/v1/accounts/${id}/token/delegates`, { grantee_id: hid, extra: 1 }, 400, "bad_request"],
      ["POST", `/v1/accounts/${id}/token/delegates`, {}, 400, "bad_request"],
      ["POST", `/v1/accounts/${id}/token/delegates`, { grantee_id: 5 }, 400, "bad_request"],
      ["POST", `/v1/accounts/${hid}/token/delegates`, { grantee_id: hid }, 400, "bad_request"],
      ["POST", `/v1/accounts/${unknown}/token/delegates`, { grantee_id: hid }, 404, "not_found"],
      ["DELETE", `/v1/accounts/${id}/token/delegates/${hid}`, undefined, 404, "not_found"],
    ];
    for (const [m, p, json, status, code] of cases) {
      const r = await s.call(m, p, { token: admin, json });
      expect({ m, p, json, status: r.status, code: r.body?.code }).toEqual({ m, p, json, status, code });
    }
    const malformed = await s.fetch(`/v1/accounts/${id}/token/delegates`, {
      method: "POST", token: admin, headers: { "content-type": "application/json" }, body: "{\"grantee_id\":",
    });
    expect(malformed.status).toBe(400);
    const huge = await s.fetch(`/v1/accounts/${id}/token/delegates`, {
      method: "POST", token: admin, headers: { "content-type": "application/json" }, body: JSON.stringify({ grantee_id: "x".repeat(70 * 1024) }),
    });
    expect(huge.status).toBe(413);

    expect((await s.call("GET", `/v1/accounts/${id}/token/delegates`, { token: admin })).body).toEqual([]);
    expect((await auditEvents("token_delegate_granted")).length).toBe(auditBefore);
    expect((await auditEvents("token_issued")).length).toBe(issuedBefore);
    expect((await s.call("GET", `/v1/accounts/${hid}/tokens`, { token: admin })).body.filter((t: { revoked_at: null }) => t.revoked_at === null).length).toBe(0);
  });
});
