import { describe, expect, test } from "bun:test";
import { ADMIN_PASSWORD, createHuman, type TestServer, useServer } from "../helpers/server";

let s: TestServer;
useServer((x) => { s = x; });

describe("login, me, validate, renew, logout", () => {
  test("health is ok", async () => {
    const r = await s.call("GET", "/v1/health");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: "ok" });
  });

  test("admin logs in and reads itself", async () => {
    const login = await s.call("POST", "/v1/auth/login", { json: { username: "admin", password: ADMIN_PASSWORD } });
    expect(login.status).toBe(200);
    expect(Object.keys(login.body).sort()).toEqual(["expires_at", "token"]);
    expect(login.headers.get("cache-control")).toBe("no-store");
    const me = await s.call("GET", "/v1/auth/me", { token: login.body.token });
    expect(me.status).toBe(200);
    expect(me.body.username).toBe("admin");
    expect(me.body.roles).toEqual(["admin"]);
    expect(Object.keys(me.body).sort()).toEqual(["account_type", "created_at", "display_name", "email", "id", "roles", "status", "tags", "totp_enabled", "updated_at", "username"]);
  });

  test("validate, renew (old token revoked), logout (token revoked)", async () => {
    const id = await createHuman(s, "carol");
    const tok = await s.login("carol", "carol-password-123");
    const v = await s.call("POST", "/v1/token/validate", { json: { token: tok } });
    expect(v.body).toMatchObject({ valid: true, sub: id, username: "carol", account_type: "human", roles: [] });
    const renewed = await s.call("POST", "/v1/auth/renew", { token: tok });
    expect(renewed.status).toBe(200);
    expect((await s.call("POST", "/v1/token/validate", { json: { token: tok } })).body).toEqual({ valid: false });
    expect((await s.call("GET", "/v1/auth/me", { token: tok })).status).toBe(401);
    const t2 = renewed.body.token;
    expect((await s.call("POST", "/v1/auth/logout", { token: t2 })).status).toBe(204);
    expect((await s.call("GET", "/v1/auth/me", { token: t2 })).status).toBe(401);
  });
});
