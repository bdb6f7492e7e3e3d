/**
 * Review finding: PUT /v1/auth/password verified the current password on a row read
 * before two Argon2 runs and then wrote the new hash unconditionally. An admin's reset
 * (PUT /v1/accounts/{id}/password, e.g. after a compromise) that committed in between
 * was silently overwritten by a password chosen by someone who only knew the old one.
 *
 * Invariant: a self-service change (which proves only the old password) never commits
 * after an admin reset of the same account.
 */
import { expect, test } from "bun:test";
import { createHuman, type TestServer, useServer } from "../helpers/server";

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
