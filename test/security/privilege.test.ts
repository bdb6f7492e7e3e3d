/**
 * Threat: gaining (or keeping, or bricking) authority one was not given.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { createHuman, createSystem, type TestServer, useServer } from "../helpers/server";

/**
 * Privilege boundaries found in review: managing a service must not yield admin; a
 * stolen token does not buy unlimited guesses at the current password. (A promotion to
 * admin does not extend an old session past admin_expiry: a time rule, tested by the
 * injected clock in test/inprocess/time-rules.test.ts.)
 */
describe("privilege boundaries", () => {

  describe("service managers cannot mint admin tokens", () => {
    let s: TestServer;
    useServer((x) => { s = x; });
    test("a role-named manager and a delegate get 403 for a system account holding admin; admins may; ordinary services unaffected", async () => {
      const admin = await s.adminToken();
      const opsBot = await createSystem(s, "ops-bot");
      await s.call("POST", `/v1/accounts/${opsBot}/roles`, { token: admin, json: { role: "admin" } });
      const plainBot = await createSystem(s, "plain-bot");
      await createHuman(s, "rita", "rita-password-123", ["ops-bot", "plain-bot"]);
      const dele = await createHuman(s, "del");
      await s.call("POST", `/v1/accounts/${opsBot}/token/delegates`, { token: admin, json: { grantee_id: dele } });
      const rita = await s.login("rita", "rita-password-123");
      const del = await s.login("del", "del-password-123");

      for (const tok of [rita, del]) {
        const r = await s.call("POST", `/v1/accounts/${opsBot}/token`, { token: tok });
        expect(r.status).toBe(403);
        expect(r.body.code).toBe("forbidden");
      }
      expect((await s.call("POST", `/v1/accounts/${plainBot}/token`, { token: rita })).status).toBe(200);
      const byAdmin = await s.call("POST", `/v1/accounts/${opsBot}/token`, { token: admin });
      expect(byAdmin.status).toBe(200);
      const denies = (await s.call("GET", "/v1/audit?type=policy_deny", { token: admin })).body.events;
      expect(denies.some((e: { details: { rule_id: number } }) => e.details.rule_id === -11)).toBe(true);
    });
  });

  describe("current-password guesses count toward lockout", () => {
    let s: TestServer;
    useServer((x) => { s = x; }, { sections: { lockout: `max_failures = 3\nwindow = "15m"\nduration = "15m"` } });
    test("after max_failures wrong current passwords the account is locked: change and login refused", async () => {
      await createHuman(s, "gus");
      const tok = await s.login("gus", "gus-password-123");
      for (let i = 0; i < 3; i++) {
        const r = await s.call("PUT", "/v1/auth/password", { token: tok, json: { current_password: `guess-number-${i}-xx`, new_password: "a-brand-new-password" } });
        expect(r.status).toBe(403);
      }
      const right = await s.call("PUT", "/v1/auth/password", { token: tok, json: { current_password: "gus-password-123", new_password: "a-brand-new-password" } });
      expect(right.status).toBe(403);
      expect((await s.call("POST", "/v1/auth/login", { json: { username: "gus", password: "gus-password-123" } })).status).toBe(401);
    });
  });
});

/**
 * Review finding: one API call bricked authorization for good. A stored deny that
 * matches the admins' `policy:write` (e.g. `{"effect":"deny","match":{}}`) beats the
 * built-in admin rule, so nobody can delete it again, and `mcias db` (the break-glass
 * tool of SPEC §10) has no policy command: `account recover --admin` cannot help, since
 * deny wins over admin too. Only hand-editing the SQLite file got a server back.
 *
 * A rule write that would deny the caller `policy:write` (now, or once its not_before
 * arrives) must be refused (409) with nothing changed, like the last-admin guard.
 */
describe("rule writes that would lock every admin out of policy", () => {
  let s: TestServer;
  let admin: string;
  useServer((x) => { s = x; });
  beforeAll(async () => {
    admin = await s.adminToken();
  }, 60_000);

  const rules = async () => (await s.call("GET", "/v1/policy/rules", { token: admin })).body as { id: number }[];

  test("a deny that would take policy:write from the caller is refused; nothing changes", async () => {
    const before = await rules();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    for (const rule of [
      { description: "deny everything", effect: "deny", match: {} },
      { description: "no more rule edits", effect: "deny", match: { actions: ["policy:write"] } },
      { description: "admins frozen tonight", effect: "deny", not_before: future, match: { roles: ["admin"] } },
    ]) {
      const r = await s.call("POST", "/v1/policy/rules", { token: admin, json: rule });
      expect(r.status).toBe(409);
      expect(r.body.code).toBe("conflict");
    }
    expect(await rules()).toEqual(before);
    // The admin can still write rules.
    const ok = await s.call("POST", "/v1/policy/rules", { token: admin, json: { description: "nobody seals", effect: "deny", match: { actions: ["vault:seal"] } } });
    expect(ok.status).toBe(201);
    // Widening an existing deny into a lockout through PATCH is refused as well.
    const widened = await s.call("PATCH", `/v1/policy/rules/${ok.body.id}`, { token: admin, json: { match: {} } });
    expect(widened.status).toBe(409);
    const after = await s.call("GET", `/v1/policy/rules/${ok.body.id}`, { token: admin });
    expect(after.body.match).toEqual({ actions: ["vault:seal"] });
    // Deleting it works: the server stays administrable.
    expect((await s.call("DELETE", `/v1/policy/rules/${ok.body.id}`, { token: admin })).status).toBe(204);
  }, 60_000);
});
