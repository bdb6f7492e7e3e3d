/**
 * Time rules on the in-process tier, by moving the injected clock (no wall-clock
 * sleeps): token expiry through the verified-token cache, admin_expiry for a session
 * promoted mid-way, auth_time kept across renewals, the lockout window and duration,
 * and TOTP steps. (max_session: test/inprocess/max-session.test.ts; console renewal:
 * test/inprocess/edge.test.ts.)
 */
import { afterEach, describe, expect, test } from "bun:test";
import { decodeJwt } from "jose";
import { totpCodeAt } from "../../src/crypto/totp";
import { startInProcess, type InProcess, type InProcessOptions } from "../helpers/inProcess";

const open: InProcess[] = [];
afterEach(() => { for (const h of open.splice(0)) h.close(); });
const start = async (o: InProcessOptions = {}) => {
  const h = await startInProcess(o);
  open.push(h);
  return h;
};
const S = 1000;
const M = 60 * S;

describe("token expiry", () => {
  test("a cached token stops validating the moment its exp passes", async () => {
    const h = await start({ sections: { tokens: { default_expiry: "1h" } } });
    await h.human("brief");
    const token = await h.login("brief", "brief-password-1");
    const valid = async () => (await h.call("POST", "/v1/token/validate", { json: { token } })).body.valid;
    expect(await valid()).toBe(true);
    expect(await valid()).toBe(true); // now from the cache
    h.advance(59 * M + 59 * S);
    expect(await valid()).toBe(true);
    expect((await h.call("GET", "/v1/auth/me", { token })).status).toBe(200);
    h.advance(1 * S + 1);
    expect(await valid()).toBe(false);
    expect((await h.call("GET", "/v1/auth/me", { token })).status).toBe(401);
  });
});

describe("admin_expiry", () => {
  test("a long human session promoted to admin stops working admin_expiry after issue; a new login is a short admin session", async () => {
    const h = await start({ sections: { tokens: { admin_expiry: "1h" } } });
    const pat = await h.human("pat");
    const tok = await h.login("pat", "pat-password-1"); // a 720h session
    const admin = await h.adminToken();
    expect((await h.call("POST", `/v1/accounts/${pat}/roles`, { token: admin, json: { role: "admin" } })).status).toBe(200);
    expect((await h.call("GET", "/v1/accounts", { token: tok })).status).toBe(200);
    h.advance(59 * M);
    expect((await h.call("GET", "/v1/accounts", { token: tok })).status).toBe(200);
    h.advance(2 * M);
    expect((await h.call("GET", "/v1/accounts", { token: tok })).status).toBe(401);
    const again = await h.login("pat", "pat-password-1");
    expect(decodeJwt(again).exp! - decodeJwt(again).iat!).toBe(3600);
    expect((await h.call("GET", "/v1/accounts", { token: again })).status).toBe(200);
  });
});

describe("auth_time", () => {
  test("login sets it; renewals keep it while iat moves", async () => {
    const h = await start();
    await h.human("ann");
    const t1 = await h.login("ann", "ann-password-1");
    const c1 = decodeJwt(t1);
    expect(c1.auth_time).toBe(c1.iat);
    h.advance(10 * M);
    const t2 = (await h.call("POST", "/v1/auth/renew", { token: t1 })).body.token as string;
    const c2 = decodeJwt(t2);
    expect(c2.auth_time).toBe(c1.auth_time);
    expect(c2.iat).toBe(c1.iat! + 600);
  });
});

describe("lockout", () => {
  const lockout = { max_failures: 3, window: "15m", duration: "30m" };

  test("failures spread wider than the window never lock", async () => {
    const h = await start({ sections: { lockout } });
    await h.human("wendy");
    for (let i = 0; i < 6; i++) {
      expect((await h.call("POST", "/v1/auth/login", { json: { username: "wendy", password: "not-the-password" } })).status).toBe(401);
      h.advance(8 * M); // two failures per 15 min window at most
    }
    expect((await h.call("POST", "/v1/auth/login", { json: { username: "wendy", password: "wendy-password-1" } })).status).toBe(200);
  });

  test("max_failures inside the window lock for `duration`: the right password is refused until it ends", async () => {
    const h = await start({ sections: { lockout } });
    await h.human("lucy");
    const good = { username: "lucy", password: "lucy-password-1" };
    for (let i = 0; i < 3; i++) {
      expect((await h.call("POST", "/v1/auth/login", { json: { ...good, password: "not-the-password" } })).status).toBe(401);
      h.advance(M);
    }
    const locked = await h.call("POST", "/v1/auth/login", { json: good });
    expect([locked.status, locked.body]).toEqual([401, { error: "invalid credentials", code: "unauthorized" }]);
    h.advance(27 * M); // 29 min after the lock
    expect((await h.call("POST", "/v1/auth/login", { json: good })).status).toBe(401);
    h.advance(2 * M);
    expect((await h.call("POST", "/v1/auth/login", { json: good })).status).toBe(200);
  });
});

describe("TOTP steps", () => {
  test("±1 step is accepted, two steps off is not, and no code is accepted twice", async () => {
    const h = await start();
    await h.human("tess");
    const tok = await h.login("tess", "tess-password-1");
    const en = await h.call("POST", "/v1/auth/totp/enroll", { token: tok, json: { current_password: "tess-password-1" } });
    expect(en.status).toBe(200);
    const at = (ms: number) => totpCodeAt(en.body.secret, ms);
    expect((await h.call("POST", "/v1/auth/totp/confirm", { token: tok, json: { code: at(h.now()) } })).status).toBe(200);
    const login = (totp_code: string) => h.call("POST", "/v1/auth/login", { json: { username: "tess", password: "tess-password-1", totp_code } });
    h.advance(90 * S);
    expect((await login(at(h.now() - 60 * S))).status).toBe(401); // two steps back
    expect((await login(at(h.now() + 60 * S))).status).toBe(401); // two steps ahead
    expect((await login(at(h.now() - 30 * S))).status).toBe(200); // one step back, first use
    expect((await login(at(h.now() - 30 * S))).status).toBe(401); // replay
    expect((await login(at(h.now()))).status).toBe(200);
    expect((await login(at(h.now()))).status).toBe(401);
  });
});
