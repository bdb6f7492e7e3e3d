/**
 * Review finding: login read the account (lock state, status, password hash) before
 * the ~100 ms Argon2 verify and never looked again. Concurrent guesses all passed the
 * lock check, and a correct guess that finished after the account had been locked
 * (or deactivated, or had its password reset) still got a token.
 *
 * Invariant checked through the audit log: no login_ok is ever written after a
 * login_fail that locked the account.
 */
import { expect, test } from "bun:test";
import { createHuman, type TestServer, useServer } from "../helpers/server";

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
