/**
 * dist/: the systemd unit verifies, and every config example passes
 * `mcias serve --check-config` (with the files it names created in a temp dir).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { makeSelfSignedCert } from "../../src/crypto/selfSignedCert";
import { randomBytes } from "../../src/crypto/random";
import { ROOT, mciasCommand, runMcias } from "../helpers/server";

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const tmp = () => { const d = mkdtempSync(join(tmpdir(), "mcias-ops-")); dirs.push(d); return d; };
const dist = (f: string) => join(ROOT, "dist", f);

/** Runs a required system tool; a missing tool is a failure, never a skip. */
function tool(cmd: string[]) {
  const which = Bun.which(cmd[0]!);
  if (!which) throw new Error(`${cmd[0]} is not installed (CI must install it)`);
  const p = Bun.spawnSync([which, ...cmd.slice(1)], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString() + p.stderr.toString() };
}

describe("systemd unit", () => {
  const unit = readFileSync(dist("mcias.service"), "utf8");

  test("has the required hardening", () => {
    for (const line of [
      "User=mcias", "ProtectSystem=strict", "ProtectHome=true", "PrivateTmp=true",
      "NoNewPrivileges=true", "CapabilityBoundingSet=", "ReadWritePaths=/srv/mcias",
      "EnvironmentFile=/srv/mcias/env", "Restart=on-failure", "LimitNOFILE=65536",
      "ExecReload=/bin/kill -HUP $MAINPID", "ExecStart=/usr/local/bin/mcias serve --config /srv/mcias/mcias.toml",
    ]) expect(unit.split("\n")).toContain(line);
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute=/m);
  });

  test("systemd-analyze verify passes", () => {
    // verify insists that ExecStart exists: point it at the real binary in a temp copy.
    const d = tmp();
    const bin = mciasCommand()[0]!;
    writeFileSync(join(d, "mcias.service"), unit.replace("/usr/local/bin/mcias", bin));
    const r = tool(["systemd-analyze", "verify", "--man=no", join(d, "mcias.service")]);
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  test("litestream.service verifies too (replication beside mcias.service)", () => {
    const d = tmp();
    const lsUnit = readFileSync(dist("litestream.service"), "utf8");
    const ls = Bun.which("litestream") ?? `${Bun.env.HOME}/go/bin/litestream`;
    writeFileSync(join(d, "litestream.service"), lsUnit.replace("/usr/local/bin/litestream", ls));
    writeFileSync(join(d, "mcias.service"), unit.replace("/usr/local/bin/mcias", mciasCommand()[0]!));
    const r = tool(["systemd-analyze", "verify", "--man=no", join(d, "litestream.service")]);
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
    expect(lsUnit).toContain("ExecStart=/usr/local/bin/litestream replicate -config /etc/litestream.yml");
  });

  test("systemd-analyze security rates it OK (exposure <= 2.0)", () => {
    const r = tool(["systemd-analyze", "security", "--offline=true", dist("mcias.service")]);
    const m = /Overall exposure level for mcias\.service: ([\d.]+)/.exec(r.out);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(2.0);
  });
});

/** Copies an example into a temp dir with /srv/mcias → that dir, and creates the files it names. */
async function materialize(example: string): Promise<{ dir: string; config: string }> {
  const dir = tmp();
  const text = readFileSync(dist(example), "utf8").replaceAll("/srv/mcias/", `${dir}/`);
  const config = join(dir, "mcias.toml");
  writeFileSync(config, text);
  const cert = await makeSelfSignedCert({ dnsNames: ["localhost"], ips: ["127.0.0.1"] });
  writeFileSync(join(dir, "server.crt"), cert.certPem);
  writeFileSync(join(dir, "server.key"), cert.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, "master.key"), randomBytes(32).toString("base64"), { mode: 0o600 });
  return { dir, config };
}

describe("config examples", () => {
  for (const example of ["mcias.conf.example", "mcias-dev.conf.example", "mcias.conf.docker.example"]) {
    test(`${example} passes --check-config`, async () => {
      const { config } = await materialize(example);
      const r = await runMcias(["serve", "--check-config", "--config", config]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("config ok");
    }, 30_000);
  }

  test("--check-config names a missing TLS file and exits 1", async () => {
    const { dir, config } = await materialize("mcias.conf.example");
    rmSync(join(dir, "server.crt"));
    const r = await runMcias(["serve", "--check-config", "--config", config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("server.tls_cert");
  }, 30_000);

  test("the production example documents every key (set or commented out)", () => {
    const text = readFileSync(dist("mcias.conf.example"), "utf8");
    const keys: Record<string, string[]> = {
      server: ["listen_addr", "tls_cert", "tls_key", "trusted_proxies", "grpc_addr"],
      database: ["path"],
      tokens: ["issuer", "default_expiry", "admin_expiry", "service_expiry"],
      argon2: ["time", "memory"],
      lockout: ["max_failures", "window", "duration"],
      master_key: ["passphrase_env", "keyfile"],
      sso: ["cookie_domain", "portal_url"],
      rate_limit: ["login_rate", "login_burst", "validate_rate", "validate_burst", "unseal_rate", "unseal_burst"],
      oidc: ["code_ttl", "access_token_ttl", "id_token_ttl", "refresh_token_ttl", "session_ttl"],
      accounts: ["invite_ttl"],
      webauthn: ["rp_id", "rp_name", "origins"],
    };
    // Uncomment every "# key = value" line: the result still parses, and has every key.
    const all = parse(text.replace(/^# ((?:grpc_addr|keyfile|cookie_domain|portal_url|rp_id|rp_name|origins) = .*)$/gm, "$1")) as Record<string, Record<string, unknown>>;
    // [[sso.apps]] entries are shown commented out, every key of one included.
    for (const k of ["[[sso.apps]]", "host =", "name =", "roles =", "paths ="]) expect(text).toContain(`# ${k}`);
    for (const [sec, ks] of Object.entries(keys)) for (const k of ks) expect(all[sec]?.[k], `${sec}.${k}`).toBeDefined();
    expect(Object.keys(all).sort()).toEqual(Object.keys(keys).sort());
  });

  test("the env example names the production passphrase variable, commented out (fresh install starts sealed)", () => {
    const env = readFileSync(dist("mcias.env.example"), "utf8");
    const conf = parse(readFileSync(dist("mcias.conf.example"), "utf8")) as { master_key: { passphrase_env: string } };
    expect(env).toMatch(new RegExp(`^#${conf.master_key.passphrase_env}=.+$`, "m"));
  });
});

describe("Dockerfile (docker cannot run here: static checks only)", () => {
  const df = readFileSync(join(ROOT, "Dockerfile"), "utf8");
  test("multi-stage build on oven/bun, minimal runtime as uid 10001", () => {
    expect(df).toMatch(/^FROM oven\/bun:\S+ AS build$/m);
    expect(df.match(/^FROM /gm)?.length).toBe(2);
    expect(df).toMatch(/^USER 10001:10001$/m);
    expect(df).toMatch(/^VOLUME \/srv\/mcias$/m);
    expect(df).toMatch(/^EXPOSE 8443$/m);
    expect(df).toContain('ENTRYPOINT ["/usr/local/bin/mcias", "serve", "--config", "/srv/mcias/mcias.toml"]');
  });
  test("every path the build stage copies exists", () => {
    for (const m of df.matchAll(/^COPY (?!--from)((?:\S+ )+)\S+$/gm)) {
      for (const src of m[1]!.trim().split(" ")) expect(existsSync(join(ROOT, src)), src).toBe(true);
    }
  });
});
