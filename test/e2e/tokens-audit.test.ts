import { beforeAll, describe, expect, test } from "bun:test";
import { createLocalJWKSet, jwtVerify, SignJWT, decodeJwt } from "jose";
import { createHuman, type TestServer, useServer } from "../helpers/server";

let s: TestServer;
let admin: string;
useServer((x) => { s = x; });
beforeAll(async () => { admin = await s.adminToken(); });

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

describe("tokens", () => {
  test("public key and JWKS; a token verifies locally with jose and has exactly the spec's header and claims", async () => {
    const jwk = (await s.call("GET", "/v1/keys/public")).body;
    expect(Object.keys(jwk).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);
    expect(jwk).toMatchObject({ kty: "OKP", crv: "Ed25519", use: "sig", alg: "EdDSA" });
    const jwks = (await s.call("GET", "/.well-known/jwks.json")).body;
    expect(jwks).toEqual({ keys: [jwk] });
    const { payload, protectedHeader } = await jwtVerify(admin, createLocalJWKSet(jwks), { issuer: "https://mcias.test" });
    expect(protectedHeader).toEqual({ alg: "EdDSA", typ: "JWT", kid: jwk.kid });
    // SPEC §2's claims plus §18's auth_time (aud only when an audience was asked for).
    expect(Object.keys(payload).sort()).toEqual(["account_type", "auth_time", "exp", "iat", "iss", "jti", "roles", "sub", "username"]);
    // admins get the short lifetime
    expect(payload.exp! - payload.iat!).toBe(8 * 3600);
    const userTok = await s.login((await createHuman(s, "uma"), "uma"), "uma-password-123");
    const p = decodeJwt(userTok);
    expect(p.exp! - p.iat!).toBe(720 * 3600);
  });

  test("forged tokens are refused by validate and by bearer routes", async () => {
    const [h, p] = admin.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
    const jwk = (await s.call("GET", "/v1/keys/public")).body;
    const forged = [
      `${b64({ alg: "none", typ: "JWT" })}.${p}.`,
      `${b64({ alg: "NONE", typ: "JWT" })}.${p}.`,
      await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT", kid: jwk.kid }).sign(Buffer.from(jwk.x, "base64url")),
      await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT", kid: jwk.kid }).sign(new TextEncoder().encode(jwk.x)),
      `${h}.${b64({ ...claims, roles: ["admin", "root"], exp: claims.exp + 86400 })}.${admin.split(".")[2]}`,
      `${b64({ alg: "EdDSA", typ: "JWT", kid: jwk.kid, jku: "https://evil.example/jwks.json" })}.${p}.${admin.split(".")[2]}`,
      `${h}.${p}.`,
      `${h}.${p}`,
      "",
    ];
    for (const t of forged) {
      expect((await s.call("POST", "/v1/token/validate", { json: { token: t } })).body).toEqual({ valid: false });
      if (t) expect((await s.fetch("/v1/auth/me", { headers: { authorization: `Bearer ${t}` } })).status).toBe(401);
    }
    expect((await s.call("POST", "/v1/token/validate", { json: { token: admin } })).body.valid).toBe(true);
  });

  test("DELETE /v1/token/{jti}: own token, admin for anyone, 403 for another's, 404 unknown", async () => {
    await createHuman(s, "vera");
    await createHuman(s, "walt");
    const v1 = await s.login("vera", "vera-password-123");
    const v2 = await s.login("vera", "vera-password-123");
    const w = await s.login("walt", "walt-password-123");
    const jti = (t: string) => decodeJwt(t).jti as string;
    expect((await s.call("DELETE", `/v1/token/${jti(w)}`, { token: v1 })).status).toBe(403);
    expect((await s.call("DELETE", `/v1/token/${jti(v2)}`, { token: v1 })).status).toBe(204);
    expect((await s.call("GET", "/v1/auth/me", { token: v2 })).status).toBe(401);
    expect((await s.call("DELETE", `/v1/token/${jti(w)}`, { token: admin })).status).toBe(204);
    expect((await s.call("GET", "/v1/auth/me", { token: w })).status).toBe(401);
    expect((await s.call("DELETE", "/v1/token/00000000-0000-4000-8000-000000000000", { token: admin })).status).toBe(404);
    const hist = (await s.call("GET", `/v1/accounts/${decodeJwt(v1).sub}/tokens`, { token: admin })).body as { jti: string; revoked_at: string | null }[];
    expect(hist.find((t) => t.jti === jti(v2))!.revoked_at).not.toBeNull();
    expect(hist.find((t) => t.jti === jti(v1))!.revoked_at).toBeNull();
  });
});

describe("audit log", () => {
  test("filters combine; cursor paging visits every event once, newest first", async () => {
    const id = await createHuman(s, "xena");
    for (const r of ["r1", "r2", "r3", "r4", "r5"]) await s.call("POST", `/v1/accounts/${id}/roles`, { token: admin, json: { role: r } });
    const all = (await s.call("GET", `/v1/audit?account=${id}&limit=500`, { token: admin })).body;
    expect(all.next_cursor).toBeNull();
    const grants = (await s.call("GET", `/v1/audit?account=${id}&type=role_granted`, { token: admin })).body.events;
    expect(grants.map((e: any) => e.details.role)).toEqual(["r5", "r4", "r3", "r2", "r1"]);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/audit?account=${id}&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page: any = (await s.call("GET", q, { token: admin })).body;
      expect(page.events.length).toBeLessThanOrEqual(2);
      seen.push(...page.events.map((e: any) => e.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.events.map((e: any) => e.id));
    expect(new Set(seen).size).toBe(seen.length);
    const e = all.events[0];
    expect(Object.keys(e).sort()).toEqual(["actor", "actor_id", "details", "id", "ip", "target", "target_id", "time", "type"]);
    expect(e.actor).toBe("admin");
    expect(e.ip).toBe("127.0.0.1");
    const future = (await s.call("GET", `/v1/audit?since=2999-01-01T00:00:00Z`, { token: admin })).body;
    expect(future.events).toEqual([]);
    const past = (await s.call("GET", `/v1/audit?account=${id}&until=2000-01-01T00:00:00Z`, { token: admin })).body;
    expect(past.events).toEqual([]);
  });

  test("bad query parameters are 400", async () => {
    for (const q of ["limit=0", "limit=501", "limit=abc", "cursor=-1", "cursor=abc", "type=no_such_type", "since=yesterday", "bogus=1"]) {
      const r = await s.call("GET", `/v1/audit?${q}`, { token: admin });
      expect(`${q} ${r.status}`).toBe(`${q} 400`);
    }
  });
});
