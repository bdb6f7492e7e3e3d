/**
 * SPEC §18 absolute session lifetime, in-process around the composition root with an
 * injected clock (no sleeping): renewals never reach past `tokens.max_session` from
 * auth_time, a session past it is refused at renewal and at verification, and admins
 * get at most three admin lifetimes.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt } from "jose";
import { createApp, type App } from "../../src/app";
import { validateConfig } from "../../src/config/validate";
import { silentLogger } from "../../src/log";
import { OPERATOR_CTX } from "../../src/services";

const H = 3600_000;
const apps: App[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const a of apps.splice(0)) a.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function harness(tokens: Record<string, string>, dir = mkdtempSync(join(tmpdir(), "mcias-maxsession-"))) {
  if (!dirs.includes(dir)) dirs.push(dir);
  writeFileSync(join(dir, "master.key"), Buffer.alloc(32, 7).toString("base64"), { mode: 0o600 });
  const config = validateConfig({
    server: { listen_addr: "127.0.0.1:0", tls_cert: "c", tls_key: "k" },
    database: { path: "m.db" },
    tokens: { issuer: "https://mcias.test", ...tokens },
    argon2: { time: 2, memory: 19456 },
    master_key: { keyfile: "master.key" },
  }, dir, "test");
  let now = Date.parse("2026-11-30T12:00:00Z");
  const clock = { now: () => now };
  return {
    dir,
    advance: (ms: number) => { now += ms; },
    at: () => now,
    async start() {
      const app = await createApp({ config, clock, log: silentLogger });
      apps.push(app);
      const call = async (method: string, path: string, token?: string, body?: unknown) => {
        const headers: Record<string, string> = {};
        if (token) headers.authorization = `Bearer ${token}`;
        if (body !== undefined) headers["content-type"] = "application/json";
        const r = await app.handle(new Request(`https://mcias.test${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }));
        const text = await r.text();
        return { status: r.status, body: text ? JSON.parse(text) : null };
      };
      return { app, call };
    },
  };
}

async function human(app: App, username: string, roles: string[] = []) {
  await app.services.accounts.create(OPERATOR_CTX, { username, account_type: "human", password: `${username}-password-1`, roles });
}

describe("tokens.max_session", () => {
  test("renewals are capped at auth_time + max_session, then refused", async () => {
    const h = harness({ default_expiry: "1h", max_session: "2h" });
    const { app, call } = await h.start();
    await human(app, "rita");
    const start = h.at();
    let tok = (await call("POST", "/v1/auth/login", undefined, { username: "rita", password: "rita-password-1" })).body.token as string;
    expect(decodeJwt(tok).exp).toBe(Math.floor((start + H) / 1000));
    h.advance(50 * 60_000);
    tok = (await call("POST", "/v1/auth/renew", tok)).body.token;
    expect(decodeJwt(tok).exp).toBe(Math.floor((start + 50 * 60_000 + H) / 1000));
    h.advance(55 * 60_000); // 1h45m into the session: a full hour would pass the 2h end
    tok = (await call("POST", "/v1/auth/renew", tok)).body.token;
    expect(decodeJwt(tok).exp).toBe(Math.floor((start + 2 * H) / 1000));
    expect(decodeJwt(tok).auth_time).toBe(Math.floor(start / 1000));
    h.advance(15 * 60_000 + 1000); // past the end: the token itself is refused (and so is renewal)
    const late = await call("POST", "/v1/auth/renew", tok);
    expect(late.status).toBe(401);
    expect((await call("GET", "/v1/auth/me", tok)).status).toBe(401);
    // A new login starts a new session.
    expect((await call("POST", "/v1/auth/login", undefined, { username: "rita", password: "rita-password-1" })).status).toBe(200);
  });

  test("enforced at verification too: a lowered max_session ends sessions already open", async () => {
    const h = harness({ default_expiry: "720h", max_session: "720h" });
    const first = await h.start();
    await human(first.app, "vic");
    const tok = (await first.call("POST", "/v1/auth/login", undefined, { username: "vic", password: "vic-password-1" })).body.token as string;
    first.app.close();
    apps.length = 0;
    const lowered = harness({ default_expiry: "720h", max_session: "1h" }, h.dir);
    lowered.advance(h.at() - lowered.at() + 2 * H);
    const { call } = await lowered.start();
    const me = await call("GET", "/v1/auth/me", tok);
    expect(me.status).toBe(401);
    expect((await call("POST", "/v1/token/validate", undefined, { token: tok })).body).toEqual({ valid: false });
  });

  test("admins: at most three admin lifetimes, renewals included", async () => {
    const h = harness({ admin_expiry: "8h", max_session: "720h" });
    const { app, call } = await h.start();
    await human(app, "ada", ["admin"]);
    const start = h.at();
    let tok = (await call("POST", "/v1/auth/login", undefined, { username: "ada", password: "ada-password-1" })).body.token as string;
    for (let i = 0; i < 3; i++) {
      h.advance(7 * H);
      const r = await call("POST", "/v1/auth/renew", tok);
      expect(r.status).toBe(200);
      tok = r.body.token;
    }
    // 21h in: the last renewal reached only to 24h.
    expect(decodeJwt(tok).exp).toBe(Math.floor((start + 24 * H) / 1000));
    h.advance(3 * H + 1000);
    expect((await call("POST", "/v1/auth/renew", tok)).status).toBe(401);
  });
});
