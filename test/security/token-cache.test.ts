/**
 * The verified-token cache (src/services/tokenCache.ts) must never turn a dead token
 * into a valid one. Each case first validates the token (so its signature result is
 * cached), then kills it another way, then validates again: revoked through the API,
 * revoked by `mcias db` in a second process, revoked by a raw SQL write from a second
 * process, account deactivated (API, `mcias db`, raw SQL without touching tokens),
 * account deleted, roles changed by raw SQL or `mcias db` (the live-state cache of
 * src/services/liveState.ts). Expiry through the cache is a time rule, tested by the
 * injected clock (test/inprocess/time-rules.test.ts). The cache itself is bounded in
 * entries and bytes and drops entries at their token's exp.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { createVerifiedTokenCache } from "../../src/services/tokenCache";
import type { TokenClaims } from "../../src/crypto/jwt";
import { createHuman, type TestServer, useServer } from "../helpers/server";

let s: TestServer;
let admin: string;
let n = 0;
useServer((x) => { s = x; });
beforeAll(async () => { admin = await s.adminToken(); }, 60_000);

const jtiOf = (t: string) => JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString()).jti as string;
const valid = async (srv: TestServer, token: string) => (await srv.call("POST", "/v1/token/validate", { json: { token } })).body?.valid === true;
const me = async (srv: TestServer, token: string) => (await srv.call("GET", "/v1/auth/me", { token })).status;

/** A fresh user and token, validated twice so the second answer came from the cache. */
async function cachedToken(): Promise<{ id: string; token: string; name: string }> {
  const name = `cache-${++n}`;
  const id = await createHuman(s, name);
  const token = await s.login(name, `${name}-password-123`);
  expect(await valid(s, token)).toBe(true);
  expect(await valid(s, token)).toBe(true);
  expect(await me(s, token)).toBe(200);
  return { id, token, name };
}

async function expectDead(token: string) {
  expect(await valid(s, token)).toBe(false);
  expect(await me(s, token)).toBe(401);
}

function sqlite(fn: (db: Database) => void) {
  // A second process's view of the file: a separate connection, as `mcias db` would use.
  const db = new Database(join(s.dir, "mcias.db"));
  db.run("PRAGMA busy_timeout = 5000");
  try { fn(db); } finally { db.close(); }
}

describe("a cached token is re-checked against the database on every request", () => {
  test("revoked through the API (DELETE /v1/token/{jti})", async () => {
    const { token } = await cachedToken();
    expect((await s.call("DELETE", `/v1/token/${jtiOf(token)}`, { token: admin })).status).toBe(204);
    await expectDead(token);
  });

  test("revoked by logout", async () => {
    const { token } = await cachedToken();
    expect((await s.call("POST", "/v1/auth/logout", { token })).status).toBe(204);
    await expectDead(token);
  });

  test("revoked by `mcias db token revoke` in a second process", async () => {
    const { token } = await cachedToken();
    const r = await s.mcias(["db", "token", "revoke", "--jti", jtiOf(token)]);
    expect(r.code).toBe(0);
    await expectDead(token);
  });

  test("revoked by a raw SQL write from a second process", async () => {
    const { token } = await cachedToken();
    sqlite((db) => db.run("UPDATE tokens SET revoked_at = ?, revoke_reason = 'test' WHERE jti = ?", [new Date().toISOString(), jtiOf(token)]));
    await expectDead(token);
  });

  test("account set inactive through the API", async () => {
    const { id, token } = await cachedToken();
    expect((await s.call("PATCH", `/v1/accounts/${id}`, { token: admin, json: { status: "inactive" } })).status).toBe(200);
    await expectDead(token);
  });

  test("account set inactive by `mcias db account set-status`", async () => {
    const { name, token } = await cachedToken();
    expect((await s.mcias(["db", "account", "set-status", "--username", name, "--status", "inactive"])).code).toBe(0);
    await expectDead(token);
  });

  test("account set inactive by raw SQL, token row left unrevoked (only the account check can refuse)", async () => {
    const { id, token } = await cachedToken();
    sqlite((db) => db.run("UPDATE accounts SET status = 'inactive' WHERE id = ?", [id]));
    await expectDead(token);
    // And back: the token row was never revoked, so reactivation makes it valid again — the
    // refusal above came from the per-request account check, not from a cached verdict.
    sqlite((db) => db.run("UPDATE accounts SET status = 'active' WHERE id = ?", [id]));
    expect(await valid(s, token)).toBe(true);
  });

  test("account deleted", async () => {
    const { id, token } = await cachedToken();
    expect((await s.call("DELETE", `/v1/accounts/${id}`, { token: admin })).status).toBe(204);
    await expectDead(token);
  });

  test("roles come from the database, not from the cached claims", async () => {
    const { id, token } = await cachedToken();
    expect((await s.call("PUT", `/v1/accounts/${id}/roles`, { token: admin, json: { roles: ["ops"] } })).status).toBe(200);
    expect((await s.call("POST", "/v1/token/validate", { json: { token } })).body.roles).toEqual(["ops"]);
    expect((await s.call("GET", "/v1/auth/me", { token })).body.roles).toEqual(["ops"]);
  });

  test("roles changed by raw SQL in a second process are seen on the next request (live-state cache)", async () => {
    const { id, token } = await cachedToken();
    sqlite((db) => db.run("INSERT INTO account_roles (account_id, role, granted_at) VALUES (?, 'auditor', '2026-11-30T00:00:00.000Z')", [id]));
    expect((await s.call("POST", "/v1/token/validate", { json: { token } })).body.roles).toEqual(["auditor"]);
    sqlite((db) => db.run("DELETE FROM account_roles WHERE account_id = ?", [id]));
    expect((await s.call("POST", "/v1/token/validate", { json: { token } })).body.roles).toEqual([]);
  });

  test("admin rights dropped by `mcias db role revoke` end on the next request", async () => {
    const { id, token, name } = await cachedToken();
    expect((await s.call("PUT", `/v1/accounts/${id}/roles`, { token: admin, json: { roles: ["admin"] } })).status).toBe(200);
    const fresh = await s.login(name, `${name}-password-123`);
    expect((await s.call("GET", "/v1/accounts", { token: fresh })).status).toBe(200);
    expect((await s.call("GET", "/v1/accounts", { token: fresh })).status).toBe(200);
    expect((await s.mcias(["db", "role", "revoke", "--username", name, "--role", "admin"])).code).toBe(0);
    expect((await s.call("GET", "/v1/accounts", { token: fresh })).status).toBe(403);
    void token;
  });
});

describe("the cache itself", () => {
  const claims = (i: number, exp = 4_000_000_000): TokenClaims => ({
    iss: "i", sub: crypto.randomUUID(), iat: 1, exp, jti: `${i}`, roles: [], account_type: "human", username: "u",
  });

  test("bounded in entries, evicting the least recently used", () => {
    const c = createVerifiedTokenCache({ maxEntries: 100 });
    for (let i = 0; i < 100; i++) c.set("k", `tok-${i}`, claims(i));
    expect(c.get("k", "tok-0", 0)).not.toBeNull(); // tok-0 is now the most recent
    for (let i = 100; i < 10_000; i++) c.set("k", `tok-${i}`, claims(i));
    expect(c.stats().entries).toBe(100);
    expect(c.get("k", "tok-1", 0)).toBeNull();
    expect(c.get("k", "tok-9999", 0)?.jti).toBe("9999");
  });

  test("bounded in bytes, whatever the token sizes", () => {
    const c = createVerifiedTokenCache({ maxEntries: 1_000_000, maxBytes: 1024 * 1024 });
    for (let i = 0; i < 5000; i++) c.set("k", `${i}-${"x".repeat(2000)}`, claims(i));
    expect(c.stats().bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(c.stats().entries).toBeLessThan(300);
    c.set("k", "y".repeat(2 * 1024 * 1024), claims(1)); // larger than the whole budget: not kept
    expect(c.stats().bytes).toBeLessThanOrEqual(1024 * 1024);
  });

  test("an entry is gone at its exp, and entries are per signing key", () => {
    const c = createVerifiedTokenCache();
    c.set("k1", "t", claims(1, 1000));
    expect(c.get("k1", "t", 999_999)).not.toBeNull();
    expect(c.get("k2", "t", 999_999)).toBeNull();
    expect(c.get("k1", "t", 1_000_000)).toBeNull();
    expect(c.stats().entries).toBe(0);
  });

  test("the server's default cache stays bounded (10k entries, 8 MiB)", () => {
    const c = createVerifiedTokenCache();
    for (let i = 0; i < 30_000; i++) c.set("k", `eyJ${i}.${"p".repeat(400)}.sig`, claims(i));
    expect(c.stats().entries).toBeLessThanOrEqual(10_000);
    expect(c.stats().bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
  });
});
