import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDuration } from "../../src/config/duration";
import { loadConfigFile } from "../../src/config/load";
import { ConfigError, validateConfig } from "../../src/config/validate";

const base = () => ({
  server: { listen_addr: "0.0.0.0:8443", tls_cert: "c.pem", tls_key: "k.pem" },
  database: { path: "m.db" },
  tokens: { issuer: "https://auth.example.com" },
  master_key: { passphrase_env: "MCIAS_MASTER_PASSPHRASE" },
} as Record<string, Record<string, unknown>>);

function errorOf(doc: Record<string, unknown>): string {
  try {
    validateConfig(doc, "/etc/mcias", "test");
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("durations", () => {
  test.each([["720h", 2_592_000_000], ["15m", 900_000], ["1h30m", 5_400_000], ["90s", 90_000], ["500ms", 500]])("%s", (t, ms) => {
    expect(parseDuration(t)).toBe(ms);
  });
  test.each(["", "15", "h", "-5m", "1.5h", "15 m", "0s", "15x"])("rejects %p", (t) => expect(parseDuration(t)).toBeNull());
});

describe("config validation", () => {
  test("a minimal config gets the documented defaults and absolute paths", () => {
    const c = validateConfig(base(), "/etc/mcias", "test");
    expect(c.server.listenHost).toBe("0.0.0.0");
    expect(c.server.listenPort).toBe(8443);
    expect(c.server.tlsCert).toBe("/etc/mcias/c.pem");
    expect(c.database.path).toBe("/etc/mcias/m.db");
    expect(c.tokens.defaultExpiryMs).toBe(720 * 3600_000);
    expect(c.tokens.adminExpiryMs).toBe(8 * 3600_000);
    expect(c.tokens.serviceExpiryMs).toBe(8760 * 3600_000);
    expect(c.argon2).toEqual({ time: 3, memoryKiB: 65536 });
    expect(c.lockout).toEqual({ maxFailures: 10, windowMs: 900_000, durationMs: 900_000 });
    expect(c.rateLimit.login).toEqual({ rate: 10, burst: 10 });
    expect(c.rateLimit.unseal).toEqual({ rate: 3, burst: 5 });
  });

  test("each error names the key and the problem", () => {
    const cases: [(d: ReturnType<typeof base>) => void, RegExp][] = [
      [(d) => { d.server!.bogus = 1; }, /^server\.bogus: unknown key/],
      [(d) => { (d as Record<string, unknown>).extra = {}; }, /^extra: unknown section/],
      [(d) => { delete d.database; }, /^database: missing section/],
      [(d) => { delete d.server!.listen_addr; }, /^server\.listen_addr: missing/],
      [(d) => { d.server!.listen_addr = "nonsense"; }, /^server\.listen_addr: .*host:port/],
      [(d) => { d.server!.listen_addr = "1.2.3.4:70000"; }, /^server\.listen_addr/],
      [(d) => { d.server!.metrics_addr = "9100"; }, /^server\.metrics_addr: .*host:port/],
      [(d) => { d.server!.tls_cert = 5; }, /^server\.tls_cert: must be a string/],
      [(d) => { d.server!.trusted_proxies = ["10.0.0.0/33"]; }, /^server\.trusted_proxies: .*not an IP/],
      [(d) => { d.server!.trusted_proxies = "10.0.0.1"; }, /^server\.trusted_proxies: must be an array/],
      [(d) => { d.tokens!.default_expiry = "forever"; }, /^tokens\.default_expiry: cannot parse duration/],
      // Issue 13 defect 7: the issuer must be a URL.
      [(d) => { d.tokens!.issuer = "auth.example.com"; }, /^tokens\.issuer: "auth\.example\.com" is not a URL/],
      [(d) => { d.tokens!.issuer = "http://auth.example.com"; }, /^tokens\.issuer: .*https:\/\//],
      [(d) => { d.tokens!.issuer = "https://auth.example.com/?x=1"; }, /^tokens\.issuer: .*query/],
      [(d) => { d.tokens!.issuer = "ftp://auth.example.com"; }, /^tokens\.issuer: .*https:\/\//],
      [(d) => { d.argon2 = { memory: 1024 }; }, /^argon2\.memory: must be at least 19456/],
      [(d) => { d.argon2 = { time: 1 }; }, /^argon2\.time: must be at least 2/],
      [(d) => { d.argon2 = { time: "3" }; }, /^argon2\.time: must be an integer/],
      [(d) => { d.lockout = { window: "soon" }; }, /^lockout\.window: cannot parse duration/],
      [(d) => { d.master_key = { passphrase_env: "X", keyfile: "k" }; }, /^master_key: .*not both/],
      [(d) => { d.master_key = {}; }, /^master_key: .*neither/],
      [(d) => { d.master_key = { passphrase_env: "NOT A VAR" }; }, /^master_key\.passphrase_env: /],
      [(d) => { d.server = "x" as never; }, /^server: must be a table/],
    ];
    for (const [mutate, re] of cases) {
      const d = base();
      mutate(d);
      expect(errorOf(d)).toMatch(re);
    }
  });

  test("IPv6 listen address and CIDR proxies are accepted", () => {
    const d = base();
    d.server!.listen_addr = "[::1]:8443";
    d.server!.trusted_proxies = ["10.0.0.0/8", "::1", "fd00::/8"];
    const c = validateConfig(d, "/", "t");
    expect(c.server.listenHost).toBe("::1");
    expect(c.server.trustedProxies).toHaveLength(3);
  });
});

describe("config files", () => {
  const dir = mkdtempSync(join(tmpdir(), "mcias-cfg-"));
  test("invalid TOML names the line", () => {
    const f = join(dir, "bad.toml");
    writeFileSync(f, "[server\nlisten_addr = 1\n");
    expect(() => loadConfigFile(f)).toThrow(/not valid TOML at line 1/);
  });
  test("a missing file is one clear line", () => {
    expect(() => loadConfigFile(join(dir, "nope.toml"))).toThrow(/cannot read config file \(ENOENT\)/);
  });
  test("an unreadable TLS file names the key", () => {
    const f = join(dir, "ok.toml");
    writeFileSync(f, `[server]\nlisten_addr = "127.0.0.1:0"\ntls_cert = "missing.crt"\ntls_key = "missing.key"\n[database]\npath = "m.db"\n[tokens]\nissuer = "https://x.example"\n[master_key]\nkeyfile = "k"\n`);
    expect(() => loadConfigFile(f)).toThrow(/^server\.tls_cert: cannot read TLS file/);
    expect(loadConfigFile(f, { checkFiles: false }).database.path).toBe(join(dir, "m.db"));
  });
});
