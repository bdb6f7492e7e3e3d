/**
 * Threat: racing requests that slip past a credential check (time of check vs time of
 * use). Each finding below came from review; each invariant is read from the audit log.
 */
import { describe, expect, test } from "bun:test";
import { createHuman, type TestServer, useServer } from "../helpers/server";

/**
 * Review finding: login read the account (lock state, status, password hash) before
 * the ~100 ms Argon2 verify and never looked again. Concurrent guesses all passed the
 * lock check, and a correct guess that finished after the account had been locked
 * (or deactivated, or had its password reset) still got a token.
 *
 * Invariant checked through the audit log: no login_ok is ever written after a
 * login_fail that locked the account.
 */
describe("login racing the lockout", () => {
  let s: TestServer;
  useServer((srv) => (s = srv), { sections: { lockout: 'max_failures = 3\nwindow = "15m"\nduration = "15m"' } });

  test("a correct password racing wrong ones never logs in once the account is locked", async () => {
    const admin = await s.adminToken();
    const password = "racer-password-123";
    const id = await createHuman(s, "racer", password);
    const login = (p: string) => s.call("POST", "/v1/auth/login", { json: { username: "racer", password: p } });
    // All in flight together: every request reads the account before any failure is recorded.
    const wrong = Array.from({ length: 12 }, (_, i) => login(`wrong-password-${i}-xx`));
    const right = login(password);
    const results = await Promise.all([...wrong, right]);
    for (const r of results.slice(0, -1)) expect(r.status).toBe(401);

    const { body } = await s.call("GET", `/v1/audit?account=${id}&limit=500`, { token: admin });
    const events = [...(body.events as { id: number; type: string; details: { locked?: boolean } }[])].sort((a, b) => a.id - b.id);
    const firstLock = events.find((e) => e.details.locked === true);
    expect(firstLock).toBeDefined();
    const okAfterLock = events.filter((e) => e.type === "login_ok" && e.id > firstLock!.id);
    expect(okAfterLock).toEqual([]);
    // And the answer agrees with the log: a 200 only when the success came before the lock.
    const ok = events.some((e) => e.type === "login_ok");
    expect(results.at(-1)!.status).toBe(ok ? 200 : 401);
  }, 60_000);
});

/**
 * Review finding: PUT /v1/auth/password verified the current password on a row read
 * before two Argon2 runs and then wrote the new hash unconditionally. An admin's reset
 * (PUT /v1/accounts/{id}/password, e.g. after a compromise) that committed in between
 * was silently overwritten by a password chosen by someone who only knew the old one.
 *
 * Invariant: a self-service change (which proves only the old password) never commits
 * after an admin reset of the same account.
 */
describe("self-service password change racing an admin reset", () => {
  let s: TestServer;
  useServer((srv) => (s = srv));

  test("a self password change racing an admin reset never undoes the reset", async () => {
    const admin = await s.adminToken();
    const old = "victim-password-123";
    const id = await createHuman(s, "victim", old);
    for (let round = 0; round < 3; round++) {
      const current = round === 0 ? old : `admin-reset-${round - 1}-xxxx`;
      const user = await s.login("victim", current);
      const [self, reset] = await Promise.all([
        s.call("PUT", "/v1/auth/password", { token: user, json: { current_password: current, new_password: `attacker-choice-${round}-xx` } }),
        s.call("PUT", `/v1/accounts/${id}/password`, { token: admin, json: { password: `admin-reset-${round}-xxxx` } }),
      ]);
      expect(reset.status).toBe(204);
      const { body } = await s.call("GET", `/v1/audit?account=${id}&type=password_changed&limit=2`, { token: admin });
      const [latest] = body.events as { details: { self: boolean } }[];
      // The admin's reset must be the last word; the user's change either came first or was refused.
      expect(latest!.details.self).toBe(false);
      if (self.status !== 204) expect([401, 403]).toContain(self.status);
      // The admin's password works.
      expect(await s.login("victim", `admin-reset-${round}-xxxx`)).toBeString();
    }
  }, 60_000);
});
