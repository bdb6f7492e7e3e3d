/**
 * SPEC §18 against the compiled binary: audience-bound tokens (validate and local
 * verification) and step-up for TOTP enrollment. The time rules (the absolute session
 * lifetime, auth_time across renewals) are tested in-process with an injected clock
 * (test/inprocess/max-session.test.ts, test/inprocess/time-rules.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { createHuman, createSystem, useServer, type TestServer } from "../helpers/server";

let s: TestServer;
useServer((x) => (s = x));

const login = (username: string, password: string, extra: Record<string, unknown> = {}) =>
  s.call("POST", "/v1/auth/login", { json: { username, password, ...extra } });
const validate = (token: string, audience?: string) =>
  s.call("POST", "/v1/token/validate", { json: { token, ...(audience !== undefined ? { audience } : {}) } });

describe("audience (SPEC §18)", () => {
  test("a token minted for one app is refused for another, accepted for it and for no audience", async () => {
    await createHuman(s, "aud-ann", "aud-ann-password-1");
    const r = await login("aud-ann", "aud-ann-password-1", { audience: "photos" });
    expect(r.status).toBe(200);
    const photos = r.body.token as string;
    expect(decodeJwt(photos).aud).toBe("photos");
    expect((await validate(photos, "photos")).body).toMatchObject({ valid: true, audience: "photos" });
    expect((await validate(photos)).body).toMatchObject({ valid: true, audience: "photos" });
    expect((await validate(photos, "wiki")).body).toEqual({ valid: false });
    // A token without aud stays valid for any audience.
    const plain = (await login("aud-ann", "aud-ann-password-1")).body.token as string;
    expect(decodeJwt(plain).aud).toBeUndefined();
    expect((await validate(plain, "wiki")).body.valid).toBe(true);
    expect((await validate(plain)).body.audience).toBeUndefined();
  });

  test("local verification with jose against the JWKS enforces the expected audience", async () => {
    const photos = (await login("aud-ann", "aud-ann-password-1", { audience: "photos" })).body.token as string;
    const jwks = createLocalJWKSet((await s.call("GET", "/.well-known/jwks.json")).body);
    const opts = { issuer: "https://mcias.test", algorithms: ["EdDSA"] };
    expect((await jwtVerify(photos, jwks, { ...opts, audience: "photos" })).payload.sub).toBeString();
    await expect(jwtVerify(photos, jwks, { ...opts, audience: "wiki" })).rejects.toThrow();
  });

  test("renew keeps the audience: an audience-less token may be narrowed, an app's token never moved", async () => {
    const photos = (await login("aud-ann", "aud-ann-password-1", { audience: "photos" })).body.token as string;
    const moved = await s.call("POST", "/v1/auth/renew", { token: photos, json: { audience: "wiki" } });
    expect(moved.status).toBe(403);
    expect(moved.body.code).toBe("forbidden");
    expect((await validate(photos, "photos")).body.valid).toBe(true); // nothing changed
    const same = await s.call("POST", "/v1/auth/renew", { token: photos });
    expect(same.status).toBe(200);
    expect(decodeJwt(same.body.token).aud).toBe("photos");
    const plain = (await login("aud-ann", "aud-ann-password-1")).body.token as string;
    const narrowed = await s.call("POST", "/v1/auth/renew", { token: plain, json: { audience: "wiki" } });
    expect(narrowed.status).toBe(200);
    expect(decodeJwt(narrowed.body.token).aud).toBe("wiki");
  });

  test("service tokens take an audience too", async () => {
    const id = await createSystem(s, "aud-svc");
    const r = await s.call("POST", `/v1/accounts/${id}/token`, { token: await s.adminToken(), json: { audience: "inventory-db" } });
    expect(r.status).toBe(200);
    expect(decodeJwt(r.body.token).aud).toBe("inventory-db");
    expect((await validate(r.body.token, "inventory-db")).body.valid).toBe(true);
    expect((await validate(r.body.token, "photos")).body.valid).toBe(false);
    // Issuing without a body still works (audience optional).
    expect((await s.call("POST", `/v1/accounts/${id}/token`, { token: await s.adminToken() })).status).toBe(200);
  });

  test("a malformed audience is 400 everywhere and issues nothing", async () => {
    for (const audience of ["", "has space", "x".repeat(257), 5]) {
      expect((await login("aud-ann", "aud-ann-password-1", { audience })).status).toBe(400);
    }
    const before = (await s.call("GET", "/v1/audit?type=login_ok&limit=500", { token: await s.adminToken() })).body.events.length;
    expect((await login("aud-ann", "aud-ann-password-1", { audience: "tab\there" })).status).toBe(400);
    const after = (await s.call("GET", "/v1/audit?type=login_ok&limit=500", { token: await s.adminToken() })).body.events.length;
    expect(after).toBe(before);
  });
});

describe("step-up (SPEC §18)", () => {
  test("TOTP enrollment needs the current password: missing or wrong → 403 (counted), right → 200", async () => {
    await createHuman(s, "step-sam", "step-sam-password-1");
    const tok = (await login("step-sam", "step-sam-password-1")).body.token as string;
    const none = await s.call("POST", "/v1/auth/totp/enroll", { token: tok });
    expect(none.status).toBe(403);
    expect(none.body.code).toBe("forbidden");
    const empty = await s.call("POST", "/v1/auth/totp/enroll", { token: tok, json: {} });
    expect(empty.status).toBe(403);
    const wrong = await s.call("POST", "/v1/auth/totp/enroll", { token: tok, json: { current_password: "not-sams-password-1" } });
    expect(wrong.status).toBe(403);
    const fails = (await s.call("GET", "/v1/audit?type=login_fail&account=" + decodeJwt(tok).sub, { token: await s.adminToken() })).body.events;
    expect(fails.some((e: { details: { reason?: string } }) => e.details.reason === "bad_current_password")).toBe(true);
    // Nothing pending was written by the refusals: confirm has nothing to confirm.
    expect((await s.call("POST", "/v1/auth/totp/confirm", { token: tok, json: { code: "123456" } })).body.code).toBe("bad_request");
    const ok = await s.call("POST", "/v1/auth/totp/enroll", { token: tok, json: { current_password: "step-sam-password-1" } });
    expect(ok.status).toBe(200);
    expect(ok.body.secret).toMatch(/^[A-Z2-7]+=*$/);
    // The password never comes back in a log line.
    expect(s.logs().join("\n")).not.toContain("step-sam-password-1");
  });
});
