/**
 * Cross-cutting concerns at the edge, declared once (issue 14 items 2–3), in-process:
 * per-route rate limits shared by REST and the console and keyed by the client IP the
 * entry point is given (a client-sent value in that slot is ignored); the sealed gate
 * of REST and the console from one declaration; console session renewal by the
 * injected clock (no sleeping).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { CLIENT_IP_HEADER, VIA_TRUSTED_PROXY_HEADER } from "../../src/http/requestInfo";
import { OPEN_WHILE_SEALED, openWhileSealed } from "../../src/services/vault";
import { startInProcess, type InProcess } from "../helpers/inProcess";

const open: InProcess[] = [];
afterEach(() => { for (const h of open.splice(0)) h.close(); });
const start = async (o: Parameters<typeof startInProcess>[0] = {}) => {
  const h = await startInProcess(o);
  open.push(h);
  return h;
};

/** A console form post with a valid double-submit token (GET first, as a browser does). */
async function consolePost(h: InProcess, path: string, form: Record<string, string>, o: { ip?: string; cookie?: string } = {}) {
  const page = await h.request("GET", "/login", { ip: o.ip });
  const csrfCookie = page.headers.getSetCookie().find((c) => c.startsWith("__Host-mcias_csrf="))!.split(";")[0]!;
  const token = csrfCookie.split("=")[1]!;
  return h.request("POST", path, {
    ip: o.ip, form: { ...form, _csrf: token },
    headers: { cookie: [csrfCookie, o.cookie].filter(Boolean).join("; ") },
  });
}

describe("rate limits: declared per route, one bucket per client IP, REST and console alike", () => {
  test("login: REST and the console share the bucket of the IP the entry point was given", async () => {
    const h = await start({ sections: { rate_limit: { login_rate: 0.01, login_burst: 3 } } });
    const bad = { username: "nobody", password: "wrong-password-1" };
    for (let i = 0; i < 2; i++) expect((await h.call("POST", "/v1/auth/login", { ip: "10.0.0.1", json: bad })).status).toBe(401);
    // The third token of 10.0.0.1's bucket goes to a console login.
    expect((await consolePost(h, "/login", bad, { ip: "10.0.0.1" })).status).toBe(401);
    const limited = await h.call("POST", "/v1/auth/login", { ip: "10.0.0.1", json: bad });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    const ui = await consolePost(h, "/login", bad, { ip: "10.0.0.1" });
    expect(ui.status).toBe(429);
    expect(ui.headers.get("content-type")).toContain("text/html");
    // A client cannot pick its bucket by sending the IP slot itself.
    const spoofed = await h.call("POST", "/v1/auth/login", { ip: "10.0.0.1", json: bad, headers: { [CLIENT_IP_HEADER]: "10.9.9.9" } });
    expect(spoofed.status).toBe(429);
    // Another IP has its own bucket; the limit was not a global one.
    expect((await h.call("POST", "/v1/auth/login", { ip: "10.0.0.2", json: bad })).status).toBe(401);
    // Time refills the bucket (0.01/s: one token in 100 s).
    h.advance(100_000);
    expect((await h.call("POST", "/v1/auth/login", { ip: "10.0.0.1", json: bad })).status).toBe(401);
  });

  test("validate and unseal draw from their own buckets; unlimited routes are not metered", async () => {
    const h = await start({ sections: { rate_limit: { validate_rate: 0.01, validate_burst: 2, unseal_rate: 0.01, unseal_burst: 1 } } });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await h.call("POST", "/v1/token/validate", { ip: "10.0.0.3", json: { token: "x.y.z" } })).status);
    expect(codes).toEqual([200, 200, 429]);
    // Unseal of an unsealed server is a no-op 200, but it is metered first by its own bucket.
    expect((await h.call("POST", "/v1/vault/unseal", { ip: "10.0.0.3", json: { passphrase: "p" } })).status).toBe(200);
    expect((await h.call("POST", "/v1/vault/unseal", { ip: "10.0.0.3", json: { passphrase: "p" } })).status).toBe(429);
    for (let i = 0; i < 5; i++) expect((await h.call("GET", "/v1/health", { ip: "10.0.0.3" })).status).toBe(200);
  });
});

describe("sealed: one declaration of what stays open, used by REST and the console", () => {
  test("the declared operations", () => {
    expect([...OPEN_WHILE_SEALED]).toEqual(["health", "vault.status", "vault.unseal"]);
    expect(openWhileSealed("vault.unseal")).toBe(true);
    expect(openWhileSealed("accounts.list")).toBe(false);
    expect(openWhileSealed(undefined)).toBe(false);
  });

  test("a sealed server: REST answers 503 except the open operations; the console sends everything to /unseal", async () => {
    const h = await start({ noAdmin: true, sections: { master_key: { passphrase_env: "MCIAS_TEST_PASSPHRASE" } }, env: {} });
    expect((await h.call("GET", "/v1/health")).status).toBe(503);
    expect((await h.call("GET", "/v1/vault/status")).body).toEqual({ sealed: true });
    const accounts = await h.call("GET", "/v1/accounts");
    expect([accounts.status, accounts.body.code]).toEqual([503, "vault_sealed"]);
    const dash = await h.request("GET", "/");
    expect([dash.status, dash.headers.get("location")]).toEqual([303, "/unseal"]);
    expect((await h.request("GET", "/unseal")).status).toBe(200);
    // The first unseal initializes the key: only from the host itself, by the IP the entry point was given.
    const passphrase = "a-long-master-passphrase";
    expect((await h.call("POST", "/v1/vault/unseal", { ip: "10.0.0.1", json: { passphrase } })).status).toBe(403);
    expect((await h.call("POST", "/v1/vault/unseal", { ip: "10.0.0.1", headers: { [CLIENT_IP_HEADER]: "127.0.0.1" }, json: { passphrase } })).status).toBe(403);
    expect((await h.call("POST", "/v1/vault/unseal", { ip: "127.0.0.1", json: { passphrase } })).status).toBe(200);
    expect((await h.call("GET", "/v1/health")).status).toBe(200);
    const unseal = await h.request("GET", "/unseal");
    expect([unseal.status, unseal.headers.get("location")]).toEqual([303, "/"]);
  });
});

describe("the trusted-proxy flag travels like the client IP", () => {
  test("forward-auth believes X-Forwarded-* only when the entry point says the peer is a trusted proxy", async () => {
    const h = await start({ sections: { sso: { apps: [{ host: "photos.mcias.test" }] } } });
    const headers = { "x-forwarded-host": "photos.mcias.test", "x-forwarded-uri": "/", "x-forwarded-proto": "https", accept: "application/json" };
    expect((await h.request("GET", "/v1/authz/forward-auth", { headers, viaTrustedProxy: true })).status).toBe(401);
    expect((await h.request("GET", "/v1/authz/forward-auth", { headers })).status).toBe(400);
    // A client cannot claim the flag itself.
    expect((await h.request("GET", "/v1/authz/forward-auth", { headers: { ...headers, [VIA_TRUSTED_PROXY_HEADER]: "1" } })).status).toBe(400);
  });
});

describe("CSRF on console posts, without a browser", () => {
  test("a state-changing post needs the double-submit token: missing, mismatched or forged → 403, nothing done", async () => {
    const h = await start();
    await h.human("cora");
    const login = { username: "cora", password: "cora-password-1" };
    const page = await h.request("GET", "/login");
    const jar = page.headers.getSetCookie().find((c) => c.startsWith("__Host-mcias_csrf="))!.split(";")[0]!;
    const token = jar.split("=")[1]!;
    const other = (await h.request("GET", "/login")).headers.getSetCookie().find((c) => c.startsWith("__Host-mcias_csrf="))!.split(";")[0]!.split("=")[1]!;
    const forged = `${"A".repeat(32)}.${"B".repeat(43)}`;
    const post = (form: Record<string, string>, headers: Record<string, string> = {}) =>
      h.request("POST", "/login", { form: { ...login, ...form }, headers: { cookie: jar, ...headers } });
    const refused = [
      await post({}), // no token at all
      await post({ _csrf: other }), // a real token, but not this browser's
      await h.request("POST", "/login", { form: { ...login, _csrf: forged }, headers: { cookie: `__Host-mcias_csrf=${forged}` } }), // both forged alike
      await h.request("POST", "/login", { form: { ...login, _csrf: token } }), // no cookie: a cross-site form
    ];
    for (const r of refused) {
      expect(r.status).toBe(403);
      expect(r.headers.getSetCookie().some((c) => c.startsWith("mcias_session="))).toBe(false);
    }
    const logins = async () => (await h.call("GET", "/v1/audit?type=login_ok", { token: await h.adminToken() })).body.events.filter((e: { actor: string }) => e.actor === "cora").length;
    expect(await logins()).toBe(0);
    // Either carrier works: the form field or the htmx header.
    expect((await post({ _csrf: token })).status).toBe(303);
    expect((await post({}, { "x-csrf-token": token })).status).toBe(303);
    expect(await logins()).toBe(2);
  });
});

describe("console session renewal follows the injected clock", () => {
  test("a page load past half the session's life swaps the cookie; before it, not", async () => {
    const h = await start({ sections: { tokens: { default_expiry: "1h" } } });
    await h.human("rene");
    const login = await consolePost(h, "/login", { username: "rene", password: "rene-password-1" });
    expect(login.status).toBe(303);
    const session = login.headers.getSetCookie().find((c) => c.startsWith("mcias_session="))!;
    expect(session).toContain("Max-Age=3600");
    const cookie = session.split(";")[0]!;
    h.advance(29 * 60_000);
    const early = await h.request("GET", "/", { headers: { cookie } });
    expect(early.status).toBe(200);
    expect(early.headers.getSetCookie().some((c) => c.startsWith("mcias_session="))).toBe(false);
    h.advance(2 * 60_000);
    const late = await h.request("GET", "/", { headers: { cookie } });
    expect(late.status).toBe(200);
    const renewed = late.headers.getSetCookie().find((c) => c.startsWith("mcias_session="))!;
    expect(renewed.split(";")[0]).not.toBe(cookie);
    expect(renewed).toContain("Max-Age=3600");
    // The old token was revoked by the renewal.
    const old = await h.request("GET", "/", { headers: { cookie } });
    expect([old.status, old.headers.get("location")]).toEqual([303, "/login"]);
  });
});
