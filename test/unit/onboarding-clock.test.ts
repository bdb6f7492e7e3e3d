/**
 * Time rules of SPEC §15, in-process around the composition root with an injected
 * clock (no sleeping): an invite link lives exactly `accounts.invite_ttl`; a WebAuthn
 * challenge lives 5 minutes and is used at most once.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, type App } from "../../src/app";
import { validateConfig } from "../../src/config/validate";
import { silentLogger } from "../../src/log";
import { OPERATOR_CTX } from "../../src/services";

const apps: App[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const a of apps.splice(0)) a.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start() {
  const dir = mkdtempSync(join(tmpdir(), "mcias-onboarding-"));
  dirs.push(dir);
  writeFileSync(join(dir, "master.key"), Buffer.alloc(32, 9).toString("base64"), { mode: 0o600 });
  const config = validateConfig({
    server: { listen_addr: "127.0.0.1:0", tls_cert: "c", tls_key: "k" },
    database: { path: "m.db" },
    tokens: { issuer: "https://mcias.test" },
    argon2: { time: 2, memory: 19456 },
    master_key: { keyfile: "master.key" },
    accounts: { invite_ttl: "1h" },
  }, dir, "test");
  let now = Date.parse("2026-11-30T12:00:00Z");
  const app = await createApp({ config, clock: { now: () => now }, log: silentLogger });
  apps.push(app);
  const call = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
    const r = await app.handle(new Request(`https://mcias.test${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }));
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  const auditCount = () => app.store.audit.count();
  return { app, call, auditCount, advance: (ms: number) => { now += ms; } };
}

describe("invite expiry", () => {
  test("alive until expires_at, the same 404 from then on, and nothing written", async () => {
    const { app, call, auditCount, advance } = await start();
    const a = await app.services.accounts.create(OPERATOR_CTX, { username: "Tick", account_type: "human" });
    expect(a.username).toBe("tick");
    const link = app.services.invites.create(OPERATOR_CTX, a.id);
    const token = link.url.slice(link.url.lastIndexOf("/") + 1);
    advance(3600_000 - 1);
    expect(app.services.invites.info(token).username).toBe("tick");
    advance(1);
    const before = auditCount();
    const r = await call("POST", `/v1/invites/${token}/accept`, { password: "tick-chosen-password" });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: "invite link is unknown, used or expired", code: "not_found" });
    expect(auditCount()).toBe(before);
    expect(app.store.accounts.get(a.id)!.password_hash).toBeNull();
  });
});

describe("WebAuthn challenges", () => {
  /** A response carrying `challenge` in its clientDataJSON, for a credential nobody registered. */
  const fake = (challenge: string) => ({
    response: {
      id: "AAAA", rawId: "AAAA", type: "public-key", clientExtensionResults: {},
      response: {
        clientDataJSON: Buffer.from(JSON.stringify({ type: "webauthn.get", challenge, origin: "https://mcias.test" })).toString("base64url"),
        authenticatorData: "AAAA", signature: "AAAA",
      },
    },
  });
  const lastFailReason = (app: App) => {
    const row = app.store.audit.query({ type: "login_fail", limit: 1 })[0]!;
    return JSON.parse(row.details).reason as string;
  };

  test("used once; dead after 5 minutes", async () => {
    const { app, call, advance } = await start();
    const o1 = await call("POST", "/v1/auth/webauthn/login/options", {});
    expect(o1.status).toBe(200);
    expect(o1.body.rpId).toBe("mcias.test");
    expect((await call("POST", "/v1/auth/webauthn/login/verify", fake(o1.body.challenge))).status).toBe(401);
    expect(lastFailReason(app)).toBe("unknown_credential"); // the challenge was live
    expect((await call("POST", "/v1/auth/webauthn/login/verify", fake(o1.body.challenge))).status).toBe(401);
    expect(lastFailReason(app)).toBe("unknown_challenge"); // used once already

    const o2 = await call("POST", "/v1/auth/webauthn/login/options");
    advance(5 * 60_000 + 1);
    expect((await call("POST", "/v1/auth/webauthn/login/verify", fake(o2.body.challenge))).status).toBe(401);
    expect(lastFailReason(app)).toBe("unknown_challenge");
  });
});
