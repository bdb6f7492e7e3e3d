/**
 * Privilege boundaries found in review: managing a service must not yield admin; a
 * stolen token does not buy unlimited guesses at the current password. (A promotion to
 * admin does not extend an old session past admin_expiry: a time rule, tested by the
 * injected clock in test/inprocess/time-rules.test.ts.)
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createHuman, createSystem, removeDir, startServer, type TestServer } from "../helpers/server";

const servers: TestServer[] = [];
afterAll(async () => { for (const s of servers) { await s.stop(); removeDir(s.dir); } });

describe("service managers cannot mint admin tokens", () => {
  test("a role-named manager and a delegate get 403 for a system account holding admin; admins may; ordinary services unaffected", async () => {
    const s = await startServer();
    servers.push(s);
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
  test("after max_failures wrong current passwords the account is locked: change and login refused", async () => {
    const s = await startServer({ sections: { lockout: `max_failures = 3\nwindow = "15m"\nduration = "15m"` } });
    servers.push(s);
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
