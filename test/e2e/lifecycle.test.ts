import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHuman, mciasCommand, removeDir, runMcias, startServer } from "../helpers/server";

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) removeDir(d); });

/** Starts `mcias serve` with the given args and waits for its "listening" line. */
async function spawnServe(args: string[], opts: { cwd: string; env?: Record<string, string> }) {
  const proc = Bun.spawn(["timeout", "-k", "30", "120", ...mciasCommand(), "serve", ...args], {
    cwd: opts.cwd, stdout: "pipe", stderr: "pipe", env: { ...Bun.env, NO_COLOR: "1", ...opts.env },
  });
  let out = "";
  let err = "";
  const read = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => { for await (const c of s) add(new TextDecoder().decode(c)); };
  void read(proc.stdout, (t) => (out += t));
  void read(proc.stderr, (t) => (err += t));
  const deadline = Date.now() + 20_000;
  while (!/"msg":"listening"/.test(err)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start: ${err}`);
    await Bun.sleep(20);
  }
  const line = err.split("\n").find((l) => l.includes('"msg":"listening"'))!;
  return { proc, url: JSON.parse(line).url as string, out: () => out, err: () => err };
}

describe("embedded development instance", () => {
  test("starts with zero setup, prints the admin password once, and stops cleanly on SIGTERM", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "mcias-dev-"));
    dirs.push(cwd);
    const env = { MCIAS_HOME: "", MCIAS_CONFIG: "" };
    const first = await spawnServe(["--listen", "127.0.0.1:0"], { cwd, env });
    const home = join(cwd, "mcias-data");
    // The banner goes to stdout right after the "listening" line on stderr: the two pipes
    // are read separately, so wait for it rather than assume it arrived first.
    for (const end = Date.now() + 10_000; !/DEVELOPMENT INSTANCE/.test(first.out()) && Date.now() < end;) await Bun.sleep(20);
    const password = /password:\s*\n\s*\n\s*(\S+)/.exec(first.out())?.[1];
    expect(password).toBeDefined();
    expect(first.out()).toMatch(/DEVELOPMENT INSTANCE/);
    expect(statSync(join(home, "master.key")).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    const ca = readFileSync(join(home, "server.crt"), "utf8");
    const login = await fetch(`${first.url}/v1/auth/login`, {
      method: "POST", body: JSON.stringify({ username: "admin", password }), tls: { ca },
    } as RequestInit);
    expect(login.status).toBe(200);
    first.proc.kill("SIGTERM");
    expect(await first.proc.exited).toBe(0);
    expect(first.err()).toContain('"msg":"stopped"');

    const second = await spawnServe(["--listen", "127.0.0.1:0"], { cwd, env });
    expect(second.out()).not.toMatch(/password:/);
    second.proc.kill("SIGINT");
    expect(await second.proc.exited).toBe(0);
    // the written config lets `mcias db` work on the same instance
    const list = await runMcias(["db", "account", "list", "--config", join(home, "mcias.toml")]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("admin");
  }, 60_000);
});

describe("configuration errors stop serve with one line naming the key", () => {
  const dir = mkdtempSync(join(tmpdir(), "mcias-badcfg-"));
  dirs.push(dir);
  const write = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
  const good = `[server]\nlisten_addr = "127.0.0.1:0"\ntls_cert = "c.pem"\ntls_key = "k.pem"\n[database]\npath = "m.db"\n[tokens]\nissuer = "https://x.example"\n[master_key]\nkeyfile = "k"\n`;

  test.each([
    ["unknown key", good + "[lockout]\nmax_failure = 3\n", /lockout\.max_failure: unknown key/],
    ["argon2 below the floor", good + "[argon2]\nmemory = 1024\n", /argon2\.memory: must be at least 19456/],
    ["both master key sources", good.replace('keyfile = "k"', 'keyfile = "k"\npassphrase_env = "P"'), /master_key: .*not both/],
    ["unparseable duration", good + "[lockout]\nwindow = \"a while\"\n", /lockout\.window: cannot parse duration/],
    ["unreadable TLS file", good, /server\.tls_cert: cannot read TLS file/],
  ])("%s", async (_name, text, re) => {
    const r = await runMcias(["serve", "--config", write(`${_name.replace(/\W/g, "_")}.toml`, text)]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(re);
  });

  test("--check-config validates and exits 0", async () => {
    writeFileSync(join(dir, "c.pem"), "x");
    writeFileSync(join(dir, "k.pem"), "x");
    const r = await runMcias(["serve", "--check-config", "--config", write("ok.toml", good)]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/config ok/);
    // Issue 13 defect 7: an issuer that is not a URL is refused by --check-config too.
    const bad = await runMcias(["serve", "--check-config", "--config", write("bad-issuer.toml", good.replace("https://x.example", "auth.example.com"))]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(/tokens\.issuer: "auth\.example\.com" is not a URL/);
  });

  test("a group- or world-readable keyfile is refused", async () => {
    const s = await startServer({ noAdmin: true });
    await s.stop();
    const { chmodSync } = await import("node:fs");
    chmodSync(join(s.dir, "master.key"), 0o644);
    const r = await runMcias(["serve", "--config", s.configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/master_key\.keyfile: .*accessible by group or others/);
    removeDir(s.dir);
  });

  test("unknown flags are usage errors (exit 2)", async () => {
    const r = await runMcias(["serve", "--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown flag: --bogus/);
  });
});

describe("durability and TLS", () => {
  test("a write answered 2xx survives kill -9; the audit row came with it", async () => {
    const s = await startServer();
    dirs.push(s.dir);
    const id = await createHuman(s, "durable");
    await s.kill9();
    const db = new Database(join(s.dir, "mcias.db"), { readonly: true });
    expect(db.query("SELECT username FROM accounts WHERE id = ?").get(id)).toEqual({ username: "durable" });
    expect(db.query("SELECT COUNT(*) AS n FROM audit_log WHERE type = 'account_created' AND target_id = ?").get(id)).toEqual({ n: 1 });
    expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    db.close();
    const again = await startServer({ dir: s.dir, noAdmin: true });
    expect((await again.call("GET", `/v1/accounts/${id}`, { token: await again.adminToken() })).body.username).toBe("durable");
    await again.stop();
  }, 60_000);

  test("TLS 1.0 and 1.1 handshakes fail; TLS 1.2 and 1.3 succeed", async () => {
    const s = await startServer({ noAdmin: true });
    dirs.push(s.dir);
    const port = new URL(s.url).port;
    const handshake = (flag: string) => {
      const p = Bun.spawnSync(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, flag, "-cipher", "DEFAULT:@SECLEVEL=0"], { stdin: new TextEncoder().encode("Q\n"), timeout: 10_000 });
      const out = p.stdout.toString();
      // A completed handshake prints "New, TLSv1.x, Cipher is <suite>"; a refused one "New, (NONE), Cipher is (NONE)".
      return /New, TLSv1\.[23], Cipher is (?!\(NONE\))\S+/.test(out);
    };
    expect(handshake("-tls1_2")).toBe(true);
    expect(handshake("-tls1_3")).toBe(true);
    expect(handshake("-tls1_1")).toBe(false);
    expect(handshake("-tls1")).toBe(false);
    await s.stop();
  }, 60_000);
});
