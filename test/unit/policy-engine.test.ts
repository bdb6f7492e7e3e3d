/**
 * The ABAC engine as a pure function: every built-in rule, deny-wins, default deny,
 * precedence, temporal edges, every match field, and properties over random rule sets.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ACTIONS, BUILTIN_RULES, evaluate, RESOURCE_TYPES, type Action, type PolicyInput, type Resource, type Rule, type Subject } from "../../src/policy";

const NOW = Date.parse("2026-06-15T12:00:00Z");
const ADMIN: Subject = { id: "a0000000-0000-4000-8000-000000000001", account_type: "human", roles: ["admin"], tags: [] };
const ALICE: Subject = { id: "a0000000-0000-4000-8000-000000000002", account_type: "human", roles: ["ops"], tags: ["team:x"] };
const BOB: Subject = { id: "a0000000-0000-4000-8000-000000000003", account_type: "human", roles: [], tags: [] };
const SVC_ID = "a0000000-0000-4000-8000-000000000004";
const SVC: Subject = { id: SVC_ID, account_type: "system", roles: [], tags: [] };
const OTHER_SVC: Subject = { id: "a0000000-0000-4000-8000-000000000005", account_type: "system", roles: ["billing"], tags: [] };

/** A system account "billing" with its relationships. */
function svcRes(type: Resource["type"], extra: Partial<Resource> = {}): Resource {
  return { type, id: SVC_ID, owner_id: SVC_ID, service: "billing", tags: ["env:prod"], delegate_ids: [], grantee_ids: [], ...extra };
}
const selfRes = (s: Subject, type: Resource["type"] = "account"): Resource => ({ type, id: s.id, owner_id: s.id, tags: s.tags });

const decide = (subject: Subject, action: Action, resource: Resource, rules: readonly Rule[] = BUILTIN_RULES, now = NOW) =>
  evaluate({ subject, action, resource }, rules, now);
const ruleId = (subject: Subject, action: Action, resource: Resource, rules?: readonly Rule[]) => {
  const d = decide(subject, action, resource, rules);
  return d.effect === "allow" ? d.rule!.id : d.rule ? `deny ${d.rule.id}` : "default deny";
};

let nextId = 1;
function rule(partial: Partial<Rule> & Pick<Rule, "effect">): Rule {
  return { id: nextId++, description: "test", priority: 100, enabled: true, match: {}, ...partial };
}

describe("built-in rules (SPEC §2, §4)", () => {
  test("ids are -1..-12, all enabled, none time-limited; -11 is the only built-in deny", () => {
    expect(BUILTIN_RULES.map((r) => r.id)).toEqual([-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12]);
    for (const r of BUILTIN_RULES) {
      expect(r.enabled).toBe(true);
      expect(r.effect).toBe(r.id === -11 ? "deny" : "allow");
      expect(r.not_before ?? null).toBeNull();
      expect(r.expires_at ?? null).toBeNull();
    }
    expect(Object.isFrozen(BUILTIN_RULES)).toBe(true);
  });

  test("-1: an admin may do every action on every resource type", () => {
    for (const a of ACTIONS) for (const t of RESOURCE_TYPES) expect(ruleId(ADMIN, a, { type: t })).toBe(-1);
    // also a system account holding admin
    expect(ruleId({ ...SVC, roles: ["admin"] }, "accounts:create", { type: "account" })).toBe(-1);
  });

  test("nobody else gets admin-only actions", () => {
    const adminOnly: Action[] = ["accounts:create", "accounts:update", "accounts:delete", "roles:write", "tags:write", "pgcreds:write",
      "audit:read", "policy:read", "policy:write", "totp:remove", "vault:seal", "delegates:read", "delegates:write"];
    for (const s of [ALICE, BOB, SVC, OTHER_SVC]) {
      for (const a of adminOnly) {
        expect(ruleId(s, a, { type: "account" })).toBe("default deny");
        expect(ruleId(s, a, selfRes(s))).toBe("default deny");
        expect(ruleId(s, a, svcRes("account", { delegate_ids: [s.id], grantee_ids: [s.id] }))).toBe("default deny");
      }
    }
    // listing accounts (no owner) is not reading oneself
    expect(ruleId(BOB, "accounts:read", { type: "account" })).toBe("default deny");
  });

  test("-2: any account reads itself and its own tokens, not another's", () => {
    for (const s of [BOB, SVC]) {
      expect(ruleId(s, "accounts:read", selfRes(s))).toBe(-2);
      expect(ruleId(s, "tokens:read", selfRes(s))).toBe(-2);
      expect(ruleId(s, "accounts:read", selfRes(ALICE))).toBe("default deny");
      expect(ruleId(s, "tokens:read", selfRes(ALICE))).toBe("default deny");
    }
  });

  test("-3: any account manages its own password, TOTP enrollment and tokens", () => {
    for (const a of ["password:change", "totp:enroll", "tokens:revoke"] as Action[]) {
      expect(ruleId(BOB, a, selfRes(BOB))).toBe(-3);
      expect(ruleId(BOB, a, selfRes(BOB, "token"))).toBe(-3);
      expect(ruleId(BOB, a, selfRes(ALICE))).toBe("default deny");
      expect(ruleId(BOB, a, selfRes(ALICE, "token"))).toBe("default deny");
    }
    // a system account may revoke its own token, but not issue itself a new one
    expect(ruleId(SVC, "tokens:revoke", selfRes(SVC, "token"))).toBe(-3);
    expect(ruleId(SVC, "tokens:issue", selfRes(SVC, "token"))).toBe("default deny");
    // removing TOTP stays an admin action, even on oneself
    expect(ruleId(BOB, "totp:remove", selfRes(BOB))).toBe("default deny");
  });

  const MANAGE: Action[] = ["tokens:issue", "tokens:revoke", "tokens:read", "pgcreds:read", "pgcreds:grant", "accounts:read"];

  test("-4: a human whose role equals the system account's username manages it", () => {
    const mgr: Subject = { ...BOB, roles: ["billing"] };
    for (const a of MANAGE) for (const t of ["account", "token", "pgcreds"] as const) expect(ruleId(mgr, a, svcRes(t))).toBe(-4);
    // not another service, not a system account with the role, not writes
    for (const a of MANAGE) expect(ruleId(mgr, a, { ...svcRes("account"), service: "payroll", owner_id: "x" })).toBe("default deny");
    for (const a of MANAGE) expect(ruleId(OTHER_SVC, a, svcRes("account"))).toBe("default deny");
    for (const a of ["pgcreds:write", "accounts:update", "accounts:delete", "roles:write", "delegates:write"] as Action[]) {
      expect(ruleId(mgr, a, svcRes("account"))).toBe("default deny");
    }
    // a human resource has no service, even if a role equals its username
    expect(ruleId({ ...BOB, roles: ["alice"] }, "accounts:read", { type: "account", id: ALICE.id, owner_id: ALICE.id, tags: [] })).toBe("default deny");
  });

  test("-5: an explicit human delegate manages that system account only", () => {
    for (const a of MANAGE) for (const t of ["account", "token", "pgcreds"] as const) {
      expect(ruleId(BOB, a, svcRes(t, { delegate_ids: [BOB.id] }))).toBe(-5);
      expect(ruleId(BOB, a, svcRes(t, { delegate_ids: [ALICE.id] }))).toBe("default deny");
    }
    expect(ruleId(OTHER_SVC, "tokens:issue", svcRes("token", { delegate_ids: [OTHER_SVC.id] }))).toBe("default deny");
    expect(ruleId(BOB, "pgcreds:write", svcRes("pgcreds", { delegate_ids: [BOB.id] }))).toBe("default deny");
  });

  test("-6: a system account reads its own Postgres credentials, nobody else's", () => {
    expect(ruleId(SVC, "pgcreds:read", svcRes("pgcreds"))).toBe(-6);
    expect(ruleId(OTHER_SVC, "pgcreds:read", svcRes("pgcreds"))).toBe("default deny");
    expect(ruleId(SVC, "pgcreds:write", svcRes("pgcreds"))).toBe("default deny");
    expect(ruleId(SVC, "pgcreds:grant", svcRes("pgcreds"))).toBe("default deny");
  });

  test("-7: a grantee reads credential metadata, never the password", () => {
    const res = svcRes("pgcreds", { grantee_ids: [BOB.id] });
    expect(ruleId(BOB, "pgcreds:read_metadata", res)).toBe(-7);
    expect(ruleId(BOB, "pgcreds:read", res)).toBe("default deny");
    expect(ruleId(BOB, "pgcreds:grant", res)).toBe("default deny");
    expect(ruleId(ALICE, "pgcreds:read_metadata", res)).toBe("default deny");
    // a system account may be a grantee too
    expect(ruleId(OTHER_SVC, "pgcreds:read_metadata", svcRes("pgcreds", { grantee_ids: [OTHER_SVC.id] }))).toBe(-7);
  });

  test("-8, -9, -10: whoever may read a credential may read its metadata", () => {
    expect(ruleId({ ...BOB, roles: ["billing"] }, "pgcreds:read_metadata", svcRes("pgcreds"))).toBe(-8);
    expect(ruleId(BOB, "pgcreds:read_metadata", svcRes("pgcreds", { delegate_ids: [BOB.id] }))).toBe(-9);
    expect(ruleId(SVC, "pgcreds:read_metadata", svcRes("pgcreds"))).toBe(-10);
    expect(ruleId(OTHER_SVC, "pgcreds:read_metadata", svcRes("pgcreds"))).toBe("default deny");
  });
});

describe("decision semantics", () => {
  const input: PolicyInput = { subject: ALICE, action: "accounts:read", resource: { type: "account", id: BOB.id, owner_id: BOB.id, tags: ["env:staging"] } };

  test("no rules, or none matching: default deny with rule null", () => {
    expect(evaluate(input, [], NOW)).toEqual({ effect: "deny", rule: null });
    expect(evaluate(input, [rule({ effect: "allow", match: { roles: ["nobody"] } })], NOW)).toEqual({ effect: "deny", rule: null });
  });

  test("deny wins over allow whatever the priorities", () => {
    const allow = rule({ effect: "allow", priority: 0 });
    const deny = rule({ effect: "deny", priority: 10000 });
    expect(evaluate(input, [allow, deny], NOW)).toEqual({ effect: "deny", rule: deny });
    expect(evaluate(input, [deny, allow], NOW)).toEqual({ effect: "deny", rule: deny });
    // even over the admin built-in
    expect(evaluate({ ...input, subject: ADMIN }, [...BUILTIN_RULES, deny], NOW).rule).toBe(deny);
  });

  test("reported rule: lowest priority, then lowest id, independent of order", () => {
    const a = rule({ id: 10, effect: "allow", priority: 5 });
    const b = rule({ id: 11, effect: "allow", priority: 3 });
    const c = rule({ id: 9, effect: "allow", priority: 3 });
    expect(evaluate(input, [a, b, c], NOW).rule).toBe(c);
    expect(evaluate(input, [c, b, a], NOW).rule).toBe(c);
    expect(evaluate(input, [a, b], NOW).rule).toBe(b);
    const d1 = rule({ id: 20, effect: "deny", priority: 7 });
    const d2 = rule({ id: 21, effect: "deny", priority: 1 });
    expect(evaluate(input, [d1, d2, a], NOW).rule).toBe(d2);
  });

  test("disabled rules never match", () => {
    expect(evaluate(input, [rule({ effect: "allow", enabled: false })], NOW).rule).toBeNull();
    const d = rule({ effect: "deny", enabled: false });
    const a = rule({ effect: "allow" });
    expect(evaluate(input, [d, a], NOW)).toEqual({ effect: "allow", rule: a });
  });

  test("temporal window is [not_before, expires_at): edges exact to the millisecond", () => {
    const nb = "2026-06-01T00:00:00Z";
    const ex = "2026-07-01T00:00:00.000Z";
    const r = rule({ effect: "allow", not_before: nb, expires_at: ex });
    const at = (ms: number) => evaluate(input, [r], ms).effect;
    expect(at(Date.parse(nb) - 1)).toBe("deny");
    expect(at(Date.parse(nb))).toBe("allow");
    expect(at(Date.parse(ex) - 1)).toBe("allow");
    expect(at(Date.parse(ex))).toBe("deny");
    expect(at(Date.parse(ex) + 1)).toBe("deny");
    // open-ended on either side
    expect(evaluate(input, [rule({ effect: "allow", not_before: nb })], Date.parse("2999-01-01T00:00:00Z")).effect).toBe("allow");
    expect(evaluate(input, [rule({ effect: "allow", expires_at: ex })], 0).effect).toBe("allow");
    // offsets are honoured
    const r2 = rule({ effect: "allow", not_before: "2026-06-15T14:00:00+02:00" });
    expect(evaluate(input, [r2], NOW).effect).toBe("allow");
    expect(evaluate(input, [r2], NOW - 1).effect).toBe("deny");
  });

  test("an unparseable time never matches (neither allow nor deny)", () => {
    expect(evaluate(input, [rule({ effect: "allow", not_before: "garbage" })], NOW).rule).toBeNull();
    expect(evaluate(input, [rule({ effect: "allow", expires_at: "garbage" })], NOW).rule).toBeNull();
  });
});

describe("match fields (AND; absent matches anything)", () => {
  const res: Resource = { type: "account", id: BOB.id, owner_id: BOB.id, service: undefined, tags: ["env:staging", "team:x"] };
  const inp = (over: Partial<PolicyInput> = {}): PolicyInput => ({ subject: ALICE, action: "accounts:read", resource: res, ...over });
  const matches = (m: Rule["match"], i: PolicyInput = inp()) => evaluate(i, [rule({ effect: "allow", match: m })], NOW).effect === "allow";

  test("empty match matches everything", () => {
    expect(matches({})).toBe(true);
  });
  test("roles: any of", () => {
    expect(matches({ roles: ["ops"] })).toBe(true);
    expect(matches({ roles: ["dev", "ops"] })).toBe(true);
    expect(matches({ roles: ["dev"] })).toBe(false);
    expect(matches({ roles: ["ops"] }, inp({ subject: BOB }))).toBe(false);
  });
  test("account_types", () => {
    expect(matches({ account_types: ["human"] })).toBe(true);
    expect(matches({ account_types: ["system"] })).toBe(false);
    expect(matches({ account_types: ["system"] }, inp({ subject: SVC }))).toBe(true);
  });
  test("subject_ids", () => {
    expect(matches({ subject_ids: [ALICE.id] })).toBe(true);
    expect(matches({ subject_ids: [BOB.id] })).toBe(false);
  });
  test("actions", () => {
    expect(matches({ actions: ["accounts:read", "tags:write"] })).toBe(true);
    expect(matches({ actions: ["tags:write"] })).toBe(false);
  });
  test("resource_types", () => {
    expect(matches({ resource_types: ["account"] })).toBe(true);
    expect(matches({ resource_types: ["pgcreds", "token"] })).toBe(false);
  });
  test("owner_is_subject true and false", () => {
    expect(matches({ owner_is_subject: true })).toBe(false);
    expect(matches({ owner_is_subject: false })).toBe(true);
    const own = inp({ resource: { ...res, owner_id: ALICE.id } });
    expect(matches({ owner_is_subject: true }, own)).toBe(true);
    expect(matches({ owner_is_subject: false }, own)).toBe(false);
    // no owner (e.g. listing): never "owned by the subject"
    const none = inp({ resource: { type: "account" } });
    expect(matches({ owner_is_subject: true }, none)).toBe(false);
    expect(matches({ owner_is_subject: false }, none)).toBe(true);
  });
  test("services: the resource's system account", () => {
    expect(matches({ services: ["billing"] })).toBe(false); // a human resource has no service
    expect(matches({ services: ["billing"] }, inp({ resource: svcRes("account") }))).toBe(true);
    expect(matches({ services: ["payroll"] }, inp({ resource: svcRes("account") }))).toBe(false);
  });
  test("required_tags: the resource must carry all of them", () => {
    expect(matches({ required_tags: ["env:staging"] })).toBe(true);
    expect(matches({ required_tags: ["env:staging", "team:x"] })).toBe(true);
    expect(matches({ required_tags: ["env:staging", "team:y"] })).toBe(false);
    expect(matches({ required_tags: ["env:prod"] })).toBe(false);
    expect(matches({ required_tags: ["env:staging"] }, inp({ resource: { type: "account" } }))).toBe(false);
    // the subject's own tags do not count
    expect(matches({ required_tags: ["team:x"] }, inp({ resource: { ...res, tags: [] } }))).toBe(false);
  });
  test("all listed fields must hold together", () => {
    const m = { roles: ["ops"], actions: ["accounts:read"] as Action[], resource_types: ["account"] as Resource["type"][], required_tags: ["env:staging"] };
    expect(matches(m)).toBe(true);
    expect(matches({ ...m, roles: ["dev"] })).toBe(false);
    expect(matches({ ...m, actions: ["tags:write"] })).toBe(false);
    expect(matches({ ...m, resource_types: ["token"] })).toBe(false);
    expect(matches({ ...m, required_tags: ["env:prod"] })).toBe(false);
    expect(matches({ ...m, account_types: ["system"] })).toBe(false);
  });
});

describe("properties", () => {
  const ids = ["a0000000-0000-4000-8000-00000000000a", "a0000000-0000-4000-8000-00000000000b", "a0000000-0000-4000-8000-00000000000c"];
  const someOf = <T>(xs: readonly T[]) => fc.option(fc.uniqueArray(fc.constantFrom(...xs), { minLength: 1, maxLength: xs.length }), { nil: undefined });
  const times = [NOW - 10_000, NOW - 1, NOW, NOW + 1, NOW + 10_000].map((t) => new Date(t).toISOString());
  const matchArb = fc.record({
    roles: someOf(["ops", "dev", "admin", "billing"]),
    account_types: someOf(["human", "system"] as const),
    subject_ids: someOf(ids),
    actions: someOf(["accounts:read", "tags:write", "tokens:issue", "pgcreds:read"] as const),
    resource_types: someOf(["account", "token", "pgcreds"] as const),
    owner_is_subject: fc.option(fc.boolean(), { nil: undefined }),
    services: someOf(["billing", "payroll"]),
    required_tags: someOf(["env:staging", "env:prod", "pii"]),
  }, { requiredKeys: [] });
  const ruleArb = (effect?: "allow" | "deny") => fc.record({
    id: fc.integer({ min: 1, max: 1_000_000 }),
    description: fc.constant("r"),
    effect: effect ? fc.constant(effect) : fc.constantFrom("allow" as const, "deny" as const),
    priority: fc.integer({ min: 0, max: 10 }),
    enabled: fc.boolean(),
    not_before: fc.option(fc.constantFrom(...times), { nil: undefined }),
    expires_at: fc.option(fc.constantFrom(...times), { nil: undefined }),
    match: matchArb,
  }).map((r) => {
    // fast-check records keep undefined keys; the engine treats them as absent
    const m = Object.fromEntries(Object.entries(r.match).filter(([, v]) => v !== undefined));
    return { ...r, match: m } as Rule;
  });
  const inputArb: fc.Arbitrary<PolicyInput> = fc.record({
    subject: fc.record({
      id: fc.constantFrom(...ids),
      account_type: fc.constantFrom("human" as const, "system" as const),
      roles: fc.uniqueArray(fc.constantFrom("ops", "dev", "admin", "billing")),
      tags: fc.constant([] as string[]),
    }),
    action: fc.constantFrom("accounts:read", "tags:write", "tokens:issue", "pgcreds:read") as fc.Arbitrary<Action>,
    resource: fc.record({
      type: fc.constantFrom("account", "token", "pgcreds") as fc.Arbitrary<Resource["type"]>,
      owner_id: fc.option(fc.constantFrom(...ids), { nil: undefined }),
      service: fc.option(fc.constantFrom("billing", "payroll"), { nil: undefined }),
      tags: fc.uniqueArray(fc.constantFrom("env:staging", "env:prod", "pii")),
      delegate_ids: fc.uniqueArray(fc.constantFrom(...ids)),
      grantee_ids: fc.uniqueArray(fc.constantFrom(...ids)),
    }),
  });
  const rulesArb = fc.array(ruleArb(), { maxLength: 12 }).map((rs) => rs.map((r, i) => ({ ...r, id: i + 1 })));

  test("adding an allow rule never turns a deny-rule decision into allow", () => {
    fc.assert(fc.property(inputArb, rulesArb, ruleArb("allow"), (input, rules, extra) => {
      const before = evaluate(input, [...BUILTIN_RULES, ...rules], NOW);
      fc.pre(before.effect === "deny" && before.rule !== null);
      const after = evaluate(input, [...BUILTIN_RULES, ...rules, { ...extra, id: 999 }], NOW);
      expect(after).toEqual(before);
    }), { numRuns: 2000 });
  }, 30_000); // pure CPU (most generated cases are skipped by fc.pre): over 5 s on a loaded machine

  test("adding a deny rule never turns a deny into an allow", () => {
    fc.assert(fc.property(inputArb, rulesArb, ruleArb("deny"), (input, rules, extra) => {
      const before = evaluate(input, [...BUILTIN_RULES, ...rules], NOW);
      const after = evaluate(input, [...BUILTIN_RULES, ...rules, { ...extra, id: 999 }], NOW);
      if (before.effect === "deny") expect(after.effect).toBe("deny");
    }), { numRuns: 1000 });
  });

  test("the decision is deny exactly when some enabled, in-window deny matches or nothing allows; order does not matter", () => {
    fc.assert(fc.property(inputArb, rulesArb, (input, rules) => {
      const d = evaluate(input, rules, NOW);
      const reversed = evaluate(input, [...rules].reverse(), NOW);
      expect(reversed).toEqual(d);
      if (d.rule) expect(d.rule.effect).toBe(d.effect);
      const anyDeny = rules.some((r) => r.effect === "deny" && evaluate(input, [r], NOW).rule === r);
      if (anyDeny) expect(d.effect).toBe("deny");
    }), { numRuns: 1000 });
  });
});

describe("built-in deny -11: managing a service never yields admin", () => {
  const svc = { type: "token" as const, id: "s", owner_id: "s", service: "ops-bot", tags: [], delegate_ids: ["d"], roles: ["admin"] };
  test("a role-named manager or delegate may not issue a token for a system account that holds admin", () => {
    for (const subject of [
      { id: "h", account_type: "human" as const, roles: ["ops-bot"], tags: [] },
      { id: "d", account_type: "human" as const, roles: [], tags: [] },
    ]) {
      const d = evaluate({ subject, action: "tokens:issue", resource: svc }, BUILTIN_RULES, 0);
      expect(d.effect).toBe("deny");
      expect(d.rule?.id).toBe(-11);
    }
  });
  test("admins may; and the same managers may for a service without admin", () => {
    const adminSubj = { id: "a", account_type: "human" as const, roles: ["admin"], tags: [] };
    expect(evaluate({ subject: adminSubj, action: "tokens:issue", resource: svc }, BUILTIN_RULES, 0).effect).toBe("allow");
    const mgr = { id: "h", account_type: "human" as const, roles: ["ops-bot"], tags: [] };
    expect(evaluate({ subject: mgr, action: "tokens:issue", resource: { ...svc, roles: ["billing"] } }, BUILTIN_RULES, 0).effect).toBe("allow");
    // other management rights are unchanged (revoking an admin service's token is a safe act)
    expect(evaluate({ subject: mgr, action: "tokens:revoke", resource: svc }, BUILTIN_RULES, 0).effect).toBe("allow");
  });
});
