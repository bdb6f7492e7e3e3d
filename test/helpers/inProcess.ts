/**
 * The in-process tier: the real composition root (`createApp`: store, vault, services,
 * REST and console) on a temp SQLite file, called through `app.handle(req, { ip })`
 * without a socket, TLS or a child process — and with an injectable clock, so time
 * rules (expiry, lockout windows, admin_expiry, renewal, max_session) are tested by
 * moving the clock, never by sleeping. The e2e tier (test/helpers/server.ts) keeps the
 * compiled binary for what only a real listener shows (TLS, headers, body limits,
 * signals).
 */
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, type App } from "../../src/app";
import { validateConfig } from "../../src/config/validate";
import { silentLogger, type Logger } from "../../src/log";
import { OPERATOR_CTX } from "../../src/services";

export const ADMIN_PASSWORD = "admin-password-for-tests-1";
const BASE = "https://mcias.test";

export interface InProcessOptions {
  /** Config sections merged over the test defaults (TOML keys, as in mcias.toml). */
  sections?: Record<string, Record<string, unknown>>;
  /** Reuse a directory (a restart over the same database). */
  dir?: string;
  /** The clock's starting time (ms). */
  start?: number;
  /** Skip creating the `admin` account. */
  noAdmin?: boolean;
  /** The client IP of requests that do not name one. */
  ip?: string | null;
  /** Passed to createApp (e.g. a passphrase variable). */
  env?: Record<string, string | undefined>;
  /** Default: silent. */
  log?: Logger;
}

export interface CallOptions {
  token?: string;
  json?: unknown;
  /** A form body (application/x-www-form-urlencoded), for console routes. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  ip?: string | null;
  /** The listener found the socket peer in server.trusted_proxies. */
  viaTrustedProxy?: boolean;
}

export interface InProcess {
  app: App;
  dir: string;
  /** The injected clock: read, move forward, or set. */
  now(): number;
  advance(ms: number): void;
  /** Any request through the app's one entry point. */
  request(method: string, path: string, o?: CallOptions): Promise<Response>;
  /** A JSON call: status, parsed body, headers. */
  call<T = any>(method: string, path: string, o?: CallOptions): Promise<{ status: number; body: T; headers: Headers }>;
  login(username: string, password: string, totp_code?: string): Promise<string>;
  adminToken(): Promise<string>;
  /** Creates a human through the services (as `mcias db` does) and returns its id. */
  human(username: string, opts?: { password?: string; roles?: string[] }): Promise<string>;
  close(): void;
}

export async function startInProcess(opts: InProcessOptions = {}): Promise<InProcess> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "mcias-inproc-"));
  if (!opts.dir) writeFileSync(join(dir, "master.key"), Buffer.alloc(32, 7).toString("base64"), { mode: 0o600 });
  const s = opts.sections ?? {};
  const config = validateConfig({
    ...s,
    server: { listen_addr: "127.0.0.1:0", tls_cert: "c", tls_key: "k", ...s.server },
    database: { path: "mcias.db", ...s.database },
    tokens: { issuer: "https://mcias.test", ...s.tokens },
    argon2: { time: 2, memory: 19456, ...s.argon2 },
    master_key: s.master_key ?? { keyfile: "master.key" },
    rate_limit: { login_rate: 1000, login_burst: 1000, validate_rate: 10000, validate_burst: 10000, ...s.rate_limit },
  }, dir, "in-process test");
  let t = opts.start ?? Date.parse("2026-11-30T12:00:00Z");
  const app = await createApp({ config, clock: { now: () => t }, log: opts.log ?? silentLogger, env: opts.env ?? {} });
  const defaultIp = opts.ip === undefined ? "127.0.0.1" : opts.ip;

  const request = (method: string, path: string, o: CallOptions = {}) => {
    const headers = new Headers(o.headers);
    if (o.token) headers.set("authorization", `Bearer ${o.token}`);
    let body: string | undefined;
    if (o.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(o.json);
    } else if (o.form) {
      headers.set("content-type", "application/x-www-form-urlencoded");
      body = new URLSearchParams(o.form).toString();
    }
    return app.handle(new Request(BASE + path, { method, headers, body }), { ip: o.ip === undefined ? defaultIp : o.ip, viaTrustedProxy: o.viaTrustedProxy });
  };
  let adminTok: string | null = null;
  const h: InProcess = {
    app, dir,
    now: () => t,
    advance(ms) { t += ms; },
    request,
    async call(method, path, o = {}) {
      const r = await request(method, path, o);
      const text = await r.text();
      let body: any = text;
      try { body = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
      return { status: r.status, body, headers: r.headers };
    },
    async login(username, password, totp_code) {
      const r = await h.call("POST", "/v1/auth/login", { json: { username, password, ...(totp_code ? { totp_code } : {}) } });
      if (r.status !== 200) throw new Error(`login ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.token as string;
    },
    async adminToken() {
      adminTok ??= await h.login("admin", ADMIN_PASSWORD);
      return adminTok;
    },
    async human(username, o = {}) {
      const v = await app.services.accounts.create(OPERATOR_CTX, {
        username, account_type: "human", password: o.password ?? `${username}-password-1`, roles: o.roles ?? [],
      });
      return v.id;
    },
    close() {
      app.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  if (!opts.noAdmin && !opts.dir) await h.human("admin", { password: ADMIN_PASSWORD, roles: ["admin"] });
  return h;
}

/** One in-process app for a whole test file, closed (and its directory removed) after it. */
export function useInProcess(bind: (h: InProcess) => void, opts: InProcessOptions = {}): void {
  let h: InProcess | undefined;
  beforeAll(async () => {
    h = await startInProcess(opts);
    bind(h);
  });
  afterAll(() => h?.close());
}
