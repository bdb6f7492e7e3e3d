/**
 * startServer(): a real MCIAS server for end-to-end tests — the compiled binary when
 * $MCIAS_BIN is set (npm test sets it), else src/main.ts under Bun — on a random
 * 127.0.0.1 port, real TLS with a fresh self-signed certificate, a temp SQLite file,
 * and an `admin` account made with the same services `mcias db` uses.
 *
 * Servers run under `timeout`, so one left behind by a crashed test run still ends.
 */
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { makeSelfSignedCert } from "../../src/crypto/selfSignedCert";
import { randomBytes } from "../../src/crypto/random";

export const ROOT = resolve(import.meta.dir, "../..");
export const BUN = process.execPath;
export const ADMIN_PASSWORD = "admin-password-for-tests-1";

/** The command that runs `mcias`: the compiled binary or the source under Bun. */
export function mciasCommand(): string[] {
  return Bun.env.MCIAS_BIN ? [Bun.env.MCIAS_BIN] : [BUN, join(ROOT, "src/main.ts")];
}

export interface ServerOptions {
  /** Extra TOML appended to (or replacing sections of) the generated config. */
  sections?: Partial<Record<"server" | "tokens" | "argon2" | "lockout" | "master_key" | "rate_limit", string>>;
  /** Use a passphrase master key from this env var value instead of a keyfile; null = variable unset (sealed start). */
  passphrase?: string | null;
  env?: Record<string, string>;
  /** Reuse an existing directory (restart after a crash). */
  dir?: string;
  /** Skip creating the admin account. */
  noAdmin?: boolean;
  /** server.listen_addr (default "127.0.0.1:0": a random port). */
  listen?: string;
  /** Raw TOML appended to the generated config (whole sections such as [sso] and [[sso.apps]]). */
  extraToml?: string;
  /** Extra names for the generated TLS certificate (e.g. "auth.mcias.test"). */
  certNames?: string[];
  /**
   * With a string `passphrase`: initialize the database's master key with it (one
   * start with the variable set), then start the server without the variable, so it
   * comes up sealed and `POST /v1/vault/unseal` with that passphrase opens it.
   * `s.mcias(...)` then runs without the variable too (pass it in `env` if needed).
   */
  startSealed?: boolean;
}

export interface TestServer {
  url: string;
  dir: string;
  configPath: string;
  ca: string;
  pid: number;
  /** Collected stdout+stderr lines so far. */
  logs(): string[];
  /** fetch with the server's CA, relative to its URL. */
  fetch(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  /** JSON call returning status and parsed body. */
  call<T = any>(method: string, path: string, opts?: { token?: string; json?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: T; headers: Headers }>;
  login(username: string, password: string, totp_code?: string): Promise<string>;
  adminToken(): Promise<string>;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
  /** Spawn `mcias` with this server's config (for db commands). */
  mcias(args: string[], opts?: { stdin?: string; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }>;
}

const TEST_SECTIONS = {
  server: "",
  tokens: `issuer = "https://mcias.test"`,
  argon2: "time = 2\nmemory = 19456",
  lockout: "max_failures = 10\nwindow = \"15m\"\nduration = \"15m\"",
  rate_limit: "login_rate = 1000\nlogin_burst = 1000\nvalidate_rate = 10000\nvalidate_burst = 10000",
};

export async function runMcias(args: string[], opts: { stdin?: string; env?: Record<string, string>; cwd?: string } = {}) {
  const p = Bun.spawn([...mciasCommand(), ...args], {
    stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
    stdout: "pipe", stderr: "pipe",
    env: { ...Bun.env, NO_COLOR: "1", ...opts.env },
    cwd: opts.cwd,
  });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

export async function startServer(opts: ServerOptions = {}): Promise<TestServer> {
  if (opts.startSealed) {
    if (typeof opts.passphrase !== "string" || opts.dir) throw new Error("startSealed needs a passphrase and a fresh directory");
    const first = await startServer({ ...opts, startSealed: false });
    await first.stop();
    return startServer({ ...opts, startSealed: false, dir: first.dir, passphrase: null });
  }
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "mcias-test-"));
  const configPath = join(dir, "mcias.toml");
  if (!opts.dir) {
    const cert = await makeSelfSignedCert({ dnsNames: ["localhost", ...(opts.certNames ?? [])], ips: ["127.0.0.1"] });
    writeFileSync(join(dir, "server.crt"), cert.certPem);
    writeFileSync(join(dir, "server.key"), cert.keyPem, { mode: 0o600 });
    writeFileSync(join(dir, "master.key"), randomBytes(32).toString("base64"), { mode: 0o600 });
    const s = { ...TEST_SECTIONS, ...opts.sections };
    const masterKey = opts.passphrase !== undefined ? `passphrase_env = "MCIAS_TEST_PASSPHRASE"` : `keyfile = "master.key"`;
    writeFileSync(configPath, [
      `[server]\nlisten_addr = "${opts.listen ?? "127.0.0.1:0"}"\ntls_cert = "server.crt"\ntls_key = "server.key"\n${s.server}`,
      `[database]\npath = "mcias.db"`,
      `[tokens]\n${s.tokens}`,
      `[argon2]\n${s.argon2}`,
      `[lockout]\n${s.lockout}`,
      `[master_key]\n${opts.sections?.master_key ?? masterKey}`,
      `[rate_limit]\n${s.rate_limit}`,
      ...(opts.extraToml ? [opts.extraToml] : []),
    ].join("\n\n") + "\n");
  }
  const passEnv: Record<string, string> =
    typeof opts.passphrase === "string" ? { MCIAS_TEST_PASSPHRASE: opts.passphrase } : {};

  const mcias = (args: string[], o: { stdin?: string; env?: Record<string, string> } = {}) =>
    runMcias([...args, "--config", configPath], { ...o, env: { ...passEnv, ...opts.env, ...o.env } });

  if (!opts.dir && !opts.noAdmin) {
    const mig = await mcias(["db", "schema", "migrate"]);
    if (mig.code !== 0) throw new Error(`migrate failed: ${mig.stderr}`);
    const c = await mcias(["db", "account", "create", "--username", "admin", "--type", "human"], { stdin: `${ADMIN_PASSWORD}\n${ADMIN_PASSWORD}\n` });
    if (c.code !== 0) throw new Error(`admin create failed: ${c.stderr}`);
    const g = await mcias(["db", "role", "grant", "--username", "admin", "--role", "admin"]);
    if (g.code !== 0) throw new Error(`admin grant failed: ${g.stderr}`);
  }

  const env: Record<string, string> = { ...(Bun.env as Record<string, string>), NO_COLOR: "1", ...passEnv, ...opts.env };
  if (opts.passphrase === null) delete env.MCIAS_TEST_PASSPHRASE;
  const proc = Bun.spawn(["timeout", "-k", "30", "600", ...mciasCommand(), "serve", "--config", configPath], {
    stdin: "ignore", stdout: "pipe", stderr: "pipe", env, cwd: dir,
  });
  const lines: string[] = [];
  let url = "";
  let pid = 0;
  const ready = new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server did not start:\n${lines.join("\n")}`)), 20_000);
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      const dec = new TextDecoder();
      let buf = "";
      for await (const chunk of stream) {
        buf += dec.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          lines.push(line);
          if (!url && line.includes('"msg":"listening"')) {
            const j = JSON.parse(line);
            url = j.url;
            pid = j.pid;
            clearTimeout(timer);
            res();
          }
        }
      }
    };
    void pump(proc.stdout);
    void pump(proc.stderr);
    void proc.exited.then((code) => { if (!url) { clearTimeout(timer); rej(new Error(`server exited ${code}:\n${lines.join("\n")}`)); } });
  });
  await ready;
  const ca = await Bun.file(join(dir, "server.crt")).text();

  const doFetch = (path: string, init: RequestInit & { token?: string; json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set("authorization", `Bearer ${init.token}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(init.json);
    }
    return fetch(url + path, { ...init, headers, body, tls: { ca } } as RequestInit);
  };
  let adminTok: string | null = null;
  const server: TestServer = {
    url, dir, configPath, ca, pid,
    logs: () => [...lines],
    fetch: doFetch,
    async call(method, path, o = {}) {
      const r = await doFetch(path, { method, token: o.token, json: o.json, headers: o.headers });
      const text = await r.text();
      let body: any = text;
      try { body = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
      return { status: r.status, body, headers: r.headers };
    },
    async login(username, password, totp_code) {
      const r = await server.call("POST", "/v1/auth/login", { json: { username, password, ...(totp_code ? { totp_code } : {}) } });
      if (r.status !== 200) throw new Error(`login ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.token as string;
    },
    async adminToken() {
      adminTok ??= await server.login("admin", ADMIN_PASSWORD);
      return adminTok;
    },
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill("SIGTERM");
      return await proc.exited;
    },
    async kill9() {
      process.kill(pid, "SIGKILL");
      await proc.exited;
    },
    mcias,
  };
  return server;
}

/** A loopback port free right now (for a server whose config must name its port). */
export function freePort(): number {
  const srv = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = srv.port;
  srv.stop(true);
  return port;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Creates a human account through the API and returns its id. */
export async function createHuman(s: TestServer, username: string, password = `${username}-password-123`, roles: string[] = []): Promise<string> {
  const r = await s.call("POST", "/v1/accounts", { token: await s.adminToken(), json: { username, account_type: "human", password, roles } });
  if (r.status !== 201) throw new Error(`create ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

/** Creates a system account through the API and returns its id. */
export async function createSystem(s: TestServer, username: string): Promise<string> {
  const r = await s.call("POST", "/v1/accounts", { token: await s.adminToken(), json: { username, account_type: "system" } });
  if (r.status !== 201) throw new Error(`create ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

/**
 * One server for a whole test file: started before the first test, stopped and its
 * directory removed after the last. `bind` receives it (tests keep a `let s`).
 */
export function useServer(bind: (s: TestServer) => void, opts: ServerOptions = {}): void {
  let srv: TestServer | undefined;
  beforeAll(async () => {
    srv = await startServer(opts);
    bind(srv);
  }, 60_000);
  afterAll(async () => {
    if (srv) {
      await srv.stop();
      removeDir(srv.dir);
    }
  }, 60_000);
}
