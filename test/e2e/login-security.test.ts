import { beforeAll, describe, expect, test } from "bun:test";
import { totpCodeAt } from "../../src/crypto/totp";
import { createHuman, type TestServer, useServer } from "../helpers/server";

let s: TestServer;
let admin: string;
useServer((x) => { s = x; });
beforeAll(async () => { admin = await s.adminToken(); });

const login = (srv: TestServer, username: string, password: string, totp_code?: string) =>
  srv.call("POST", "/v1/auth/login", { json: { username, password, ...(totp_code !== undefined ? { totp_code } : {}) } });

/** Codes below are computed for "now": start at least 5 s before a 30 s step edge. */
async function awayFromStepEdge(): Promise<void> {
  const left = 30_000 - (Date.now() % 30_000);
  if (left < 5_000) await Bun.sleep(left + 100);
}

async function auditTypes(srv: TestServer, target: string): Promise<string[]> {
  const r = await srv.call("GET", `/v1/audit?account=${target}&limit=500`, { token: await srv.adminToken() });
  return r.body.events.map((e: { type: string }) => e.type);
}

describe("every login failure looks the same", () => {
  test("unknown user, wrong password, inactive, deleted, system account: same 401 body", async () => {
    const inactive = await createHuman(s, "ina");
    await s.call("PATCH", `/v1/accounts/${inactive}`, { token: admin, json: { status: "inactive" } });
    const deleted = await createHuman(s, "del");
    await s.call("DELETE", `/v1/accounts/${deleted}`, { token: admin });
    await s.call("POST", "/v1/accounts", { token: admin, json: { username: "svc-app", account_type: "system" } });
    await createHuman(s, "wrongpw");
    const attempts = [
      login(s, "nobody-here", "whatever-password"),
      login(s, "wrongpw", "not-the-password"),
      login(s, "ina", "ina-password-123"),
      login(s, "del", "del-password-123"),
      login(s, "svc-app", "whatever-password"),
      login(s, "NOT VALID NAME", "whatever-password"),
    ];
    const results = await Promise.all(attempts);
    for (const r of results) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: "invalid credentials", code: "unauthorized" });
    }
    expect(await auditTypes(s, inactive)).toContain("login_fail");
  });
});

describe("TOTP", () => {
  test("enroll, confirm, then required at login; a code is accepted once", async () => {
    const id = await createHuman(s, "tess");
    const tok = await s.login("tess", "tess-password-123");
    await awayFromStepEdge();
    const en = await s.call("POST", "/v1/auth/totp/enroll", { token: tok, json: { current_password: "tess-password-123" } });
    expect(en.status).toBe(200);
    expect(Object.keys(en.body).sort()).toEqual(["otpauth_uri", "secret"]);
    expect(en.body.secret).toMatch(/^[A-Z2-7]+=*$/);
    // not active until confirmed
    expect((await login(s, "tess", "tess-password-123")).status).toBe(200);
    expect((await s.call("POST", "/v1/auth/totp/confirm", { token: tok, json: { code: "000000" } })).status).toBe(400);
    const now = Date.now();
    const prev = totpCodeAt(en.body.secret, now - 30_000);
    const cur = totpCodeAt(en.body.secret, now);
    const next = totpCodeAt(en.body.secret, now + 30_000);
    expect((await s.call("POST", "/v1/auth/totp/confirm", { token: tok, json: { code: prev } })).status).toBe(200);
    expect((await s.call("GET", "/v1/auth/me", { token: tok })).body.totp_enabled).toBe(true);

    expect((await login(s, "tess", "tess-password-123")).status).toBe(401); // code missing
    expect((await login(s, "tess", "tess-password-123", "123456" === cur ? "654321" : "123456")).status).toBe(401);
    expect((await login(s, "tess", "tess-password-123", prev)).status).toBe(401); // used to confirm: replay
    expect((await login(s, "tess", "tess-password-123", cur)).status).toBe(200);
    expect((await login(s, "tess", "tess-password-123", cur)).status).toBe(401); // replay
    expect((await login(s, "tess", "wrong-password-x", next)).status).toBe(401);
    expect((await login(s, "tess", "tess-password-123", next)).status).toBe(200); // ±1 step drift, first use
    expect((await login(s, "tess", "tess-password-123", next)).status).toBe(401);
    const types = await auditTypes(s, id);
    expect(types).toContain("totp_enrolled");
    expect(types).toContain("login_totp_fail");

    // a second enrollment cannot replace an active factor with only a token
    expect((await s.call("POST", "/v1/auth/totp/enroll", { token: tok, json: { current_password: "tess-password-123" } })).status).toBe(409);
    // admin removes it: password alone works again
    expect((await s.call("DELETE", `/v1/accounts/${id}/totp`, { token: admin })).status).toBe(204);
    expect((await login(s, "tess", "tess-password-123")).status).toBe(200);
    expect(await auditTypes(s, id)).toContain("totp_removed");
  });
});

describe("password change", () => {
  test("checks the current password and the policy; revokes the other tokens only", async () => {
    await createHuman(s, "paula");
    const t1 = await s.login("paula", "paula-password-123");
    const t2 = await s.login("paula", "paula-password-123");
    expect((await s.call("PUT", "/v1/auth/password", { token: t1, json: { current_password: "wrong-password-1", new_password: "paula-new-password" } })).status).toBe(403);
    expect((await s.call("PUT", "/v1/auth/password", { token: t1, json: { current_password: "paula-password-123", new_password: "short" } })).status).toBe(400);
    expect((await s.call("PUT", "/v1/auth/password", { token: t1, json: { current_password: "paula-password-123", new_password: "paula" } })).status).toBe(400);
    await s.login("paula", "paula-password-123"); // nothing changed so far
    expect((await s.call("PUT", "/v1/auth/password", { token: t1, json: { current_password: "paula-password-123", new_password: "paula-new-password" } })).status).toBe(204);
    expect((await s.call("GET", "/v1/auth/me", { token: t1 })).status).toBe(200);
    expect((await s.call("GET", "/v1/auth/me", { token: t2 })).status).toBe(401);
    expect((await login(s, "paula", "paula-password-123")).status).toBe(401);
    await s.login("paula", "paula-new-password");
  });
});

describe("lockout and rate limits", () => {
  let l: TestServer;
  useServer((x) => { l = x; }, { sections: { lockout: `max_failures = 3\nwindow = "15m"\nduration = "15m"`, rate_limit: "login_rate = 1\nlogin_burst = 12\nvalidate_rate = 1\nvalidate_burst = 3" } });

  test("locks an account after max_failures; the right password is refused while locked; admin reset unlocks", async () => {
    const admin = await l.adminToken();
    const id = await createHuman(l, "lucy");
    for (let i = 0; i < 3; i++) expect((await login(l, "lucy", "not-the-password")).status).toBe(401);
    const locked = await login(l, "lucy", "lucy-password-123");
    expect(locked.status).toBe(401);
    expect(locked.body).toEqual({ error: "invalid credentials", code: "unauthorized" });
    expect(await auditTypes(l, id)).toContain("login_locked");
    expect((await l.call("PUT", `/v1/accounts/${id}/password`, { token: admin, json: { password: "lucy-password-456" } })).status).toBe(204);
    expect((await login(l, "lucy", "lucy-password-456")).status).toBe(200);
  });

  test("per-IP token bucket on login and validate: 429 with Retry-After and the uniform body", async () => {
    let limited: { status: number; body: any; headers: Headers } | null = null;
    for (let i = 0; i < 20 && !limited; i++) {
      const r = await login(l, "nobody", "whatever-password");
      if (r.status === 429) limited = r;
    }
    expect(limited).not.toBeNull();
    expect(limited!.body.code).toBe("rate_limited");
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const v: number[] = [];
    for (let i = 0; i < 6; i++) v.push((await l.call("POST", "/v1/token/validate", { json: { token: "x.y.z" } })).status);
    expect(v).toContain(429);
  });
});
