import { beforeAll, describe, expect, test } from "bun:test";
import { createHuman, type TestServer, ADMIN_PASSWORD, useServer } from "../helpers/server";

let s: TestServer;
let admin: string;
useServer((x) => { s = x; });
beforeAll(async () => { admin = await s.adminToken(); });

const SECURITY_HEADERS = {
  "strict-transport-security": /max-age=\d+/,
  "x-content-type-options": /^nosniff$/,
  "x-frame-options": /^DENY$/,
  "referrer-policy": /^no-referrer$/,
  "content-security-policy": /^default-src 'self'/,
};

describe("malformed input is 400 with the uniform body", () => {
  const raw = (body: Bun.BodyInit, contentType = "application/json", token = admin) =>
    s.fetch("/v1/accounts", { method: "POST", body, headers: { "content-type": contentType, authorization: `Bearer ${token}` } });

  test("malformed JSON, form bodies, wrong types, unknown fields, empty body", async () => {
    const cases: [Bun.BodyInit, string?][] = [
      ['{"username":', undefined],
      ["username=x&account_type=human", "application/x-www-form-urlencoded"],
      ['{"username":"x","account_type":"human","roles":"admin"}', undefined],
      ['{"username":"x","account_type":"human","admin":true}', undefined],
      ['"just a string"', undefined],
      ["null", undefined],
      ["", undefined],
    ];
    for (const [body, ct] of cases) {
      const r = await raw(body, ct);
      expect(r.status).toBe(400);
      expect(r.headers.get("content-type")).toStartWith("application/json");
      expect(await r.json()).toMatchObject({ code: "bad_request" });
    }
    const list = (await s.call("GET", "/v1/accounts", { token: admin })).body as { username: string }[];
    expect(list.map((a) => a.username)).not.toContain("x");
  });

  test("a validation error never echoes the request body (passwords stay out)", async () => {
    const r = await s.call("POST", "/v1/auth/login", { json: { username: "admin", password: "SECRET-VALUE-314159", extra: "SECRET-VALUE-314159" } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).not.toContain("SECRET-VALUE");
    const t = await s.call("POST", "/v1/auth/login", { json: { username: "admin", password: 12345678901234 } });
    expect(t.status).toBe(400);
    expect(JSON.stringify(t.body)).not.toContain("12345678901234");
  });

  test("bodies over 64 KiB are 413, with or without Content-Length", async () => {
    const big = JSON.stringify({ username: "x", account_type: "human", password: "p".repeat(70 * 1024) });
    const declared = await raw(big);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ code: "payload_too_large" });
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode("x".repeat(8 * 1024)));
        c.close();
      },
    });
    const chunked = await s.fetch("/v1/auth/login", { method: "POST", body: stream, headers: { "content-type": "application/json" } });
    expect(chunked.status).toBe(413);
    // just under the limit is read (and then refused by the schema, not by size)
    const under = await s.call("POST", "/v1/auth/login", { json: { username: "admin", password: "p".repeat(60 * 1024) } });
    expect(under.status).toBe(400);
  });

  test("Authorization other than 'Bearer <jwt>' is 401", async () => {
    for (const h of ["Basic YWRtaW46cGFzcw==", "Bearer", `Token ${admin}`, `Bearer ${admin} extra`, "bearer not-a-jwt"]) {
      const r = await s.fetch("/v1/auth/me", { headers: { authorization: h } });
      expect(r.status).toBe(401);
      expect(((await r.json()) as { code: string }).code).toBe("unauthorized");
    }
    expect((await s.fetch("/v1/auth/me", { headers: { authorization: `bEaReR ${admin}` } })).status).toBe(200);
  });

  test("unknown routes are a JSON 404", async () => {
    const r = await s.call("GET", "/v1/nope");
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("not_found");
  });
});

describe("response headers", () => {
  test("every response carries the security headers; token responses are no-store", async () => {
    const responses = await Promise.all([
      s.fetch("/v1/health"), s.fetch("/v1/nope"), s.fetch("/v1/auth/me"),
      s.fetch("/v1/auth/login", { method: "POST", json: { username: "admin", password: ADMIN_PASSWORD } }),
      s.fetch("/.well-known/jwks.json"), s.fetch("/docs"), s.fetch("/docs/json"),
    ]);
    for (const r of responses) {
      for (const [h, re] of Object.entries(SECURITY_HEADERS)) expect(r.headers.get(h) ?? "").toMatch(re);
      expect(r.headers.get("cache-control")).toBe("no-store");
    }
  });
});

describe("logs", () => {
  test("no log line holds a password, a token or an Authorization header", async () => {
    const pw = "log-canary-password-77";
    const id = await createHuman(s, "logcanary", pw);
    const tok = await s.login("logcanary", pw);
    await s.call("GET", "/v1/auth/me", { token: tok });
    await s.call("POST", "/v1/token/validate", { json: { token: tok } });
    await s.call("POST", "/v1/auth/login", { json: { username: "logcanary", password: "wrong-" + pw } });
    await s.call("PUT", `/v1/accounts/${id}/password`, { token: admin, json: { password: pw + "-new" } });
    await s.fetch("/v1/audit?since=1999-01-01T00:00:00Z", { token: admin });
    await Bun.sleep(50); // let the log pipe drain
    const logs = s.logs().join("\n");
    expect(logs).toContain('"path":"/v1/auth/me"');
    expect(logs).not.toContain(pw);
    expect(logs).not.toContain(tok);
    expect(logs).not.toContain(tok.split(".")[2]!);
    expect(logs).not.toContain(admin.split(".")[2]!);
    expect(logs.toLowerCase()).not.toContain("authorization");
    expect(logs).not.toContain("1999-01-01"); // query strings are not logged
    expect(logs).not.toContain(ADMIN_PASSWORD);
  });
});

describe("API docs", () => {
  test("/docs/json is OpenAPI 3 covering the core routes with request schemas", async () => {
    const doc = (await s.call("GET", "/docs/json")).body;
    expect(doc.openapi).toMatch(/^3\./);
    const want: [string, string][] = [
      ["/v1/health", "get"], ["/v1/keys/public", "get"], ["/.well-known/jwks.json", "get"], ["/v1/auth/login", "post"],
      ["/v1/auth/logout", "post"], ["/v1/auth/renew", "post"], ["/v1/auth/me", "get"], ["/v1/auth/password", "put"],
      ["/v1/auth/totp/enroll", "post"], ["/v1/auth/totp/confirm", "post"], ["/v1/token/validate", "post"],
      ["/v1/token/{jti}", "delete"], ["/v1/accounts", "post"], ["/v1/accounts", "get"], ["/v1/accounts/{id}", "get"],
      ["/v1/accounts/{id}", "patch"], ["/v1/accounts/{id}", "delete"], ["/v1/accounts/{id}/password", "put"],
      ["/v1/accounts/{id}/totp", "delete"], ["/v1/accounts/{id}/roles", "get"], ["/v1/accounts/{id}/roles", "put"],
      ["/v1/accounts/{id}/roles", "post"], ["/v1/accounts/{id}/roles/{role}", "delete"], ["/v1/accounts/{id}/tags", "get"],
      ["/v1/accounts/{id}/tags", "put"], ["/v1/accounts/{id}/tokens", "get"], ["/v1/audit", "get"],
      ["/v1/vault/status", "get"], ["/v1/vault/unseal", "post"], ["/v1/vault/seal", "post"],
    ];
    for (const [path, method] of want) expect(`${method} ${path}: ${!!doc.paths[path]?.[method]}`).toBe(`${method} ${path}: true`);
    const login = doc.paths["/v1/auth/login"].post;
    // Shared schemas are $refs to components.schemas (SPEC §20).
    const ref: string = login.requestBody.content["application/json"].schema.$ref;
    expect(ref).toMatch(/^#\/components\/schemas\//);
    expect(doc.components.schemas[ref.split("/").pop()!].properties.password.type).toBe("string");
    expect(login.responses["401"]).toBeDefined();
  });

  test("/docs loads only same-origin assets and no inline script", async () => {
    const html = await (await s.fetch("/docs")).text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
    expect(html).not.toMatch(/<style/);
    for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const r = await s.fetch(src[1]!);
      expect(`${src[1]} ${r.status}`).toBe(`${src[1]} 200`);
    }
  });
});
