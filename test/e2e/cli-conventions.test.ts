/**
 * Command-line conventions of SPEC §17 (issue 13): global flags anywhere, a group
 * without a subcommand prints help and exits 2, help readable at 80 columns, accounts
 * named by id or username, `auth login` saving server and CA, errors that say what to
 * do, `--since` durations, `audit tail` oldest first, a bad `--type` listing the valid
 * ones, db headers. The compiled binary against a real server.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runMcias, useServer, type TestServer } from "../helpers/server";
import { leavesOf } from "../ops/cliTree";

let s: TestServer;
useServer((x) => (s = x));
const homes: string[] = [];
const home = () => { const h = mkdtempSync(join(tmpdir(), "mcias-cli-home-")); homes.push(h); return h; };
afterAll(() => { for (const h of homes) rmSync(h, { recursive: true, force: true }); });
const CLEAN = { MCIAS_TOKEN: "", MCIAS_SERVER: "", MCIAS_CACERT: "", MCIAS_CONFIG: "" };

/** `mcias ctl` with the given args verbatim (the test places the flags). */
function ctl(args: string[], o: { stdin?: string; home?: string; env?: Record<string, string> } = {}) {
  return runMcias(["ctl", ...args], { stdin: o.stdin, env: { ...CLEAN, XDG_CONFIG_HOME: o.home ?? home(), ...o.env } });
}
const conn = () => ["--server", s.url, "--cacert", join(s.dir, "server.crt")];

describe("global flags anywhere; groups without a subcommand", () => {
  test("ctl: --server/--cacert/--token/--json before the group, between group and subcommand, after", async () => {
    const tok = await s.adminToken();
    for (const args of [
      [...conn(), "--token", tok, "account", "list"],
      ["account", ...conn(), "--token", tok, "list"],
      ["account", "list", ...conn(), "--token", tok],
      ["--json", ...conn(), "--token", tok, "account", "list"],
      [`--server=${s.url}`, "--cacert", join(s.dir, "server.crt"), "account", "--token", tok, "list"],
    ]) {
      const r = await ctl(args);
      expect({ args, code: r.code, err: r.stderr }).toEqual({ args, code: 0, err: "" });
      expect(r.stdout).toContain("admin");
    }
    const j = await ctl(["--json", ...conn(), "--token", tok, "account", "list"]);
    expect(JSON.parse(j.stdout).map((a: { username: string }) => a.username)).toContain("admin");
  }, 60_000);

  test("db: --config before the group or the subcommand", async () => {
    for (const args of [["db", "--config", s.configPath, "schema", "verify"], ["db", "schema", "--config", s.configPath, "verify"], ["db", "schema", "verify", "--config", s.configPath]]) {
      const r = await runMcias(args);
      expect({ args, code: r.code, err: r.stderr }).toEqual({ args, code: 0, err: "" });
    }
    const list = await runMcias(["db", "--config", s.configPath, "account", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("admin");
  }, 60_000);

  test("a group without a subcommand prints its help to stderr and exits 2; an unknown leading flag too", async () => {
    for (const args of [["ctl"], ["ctl", "account"], ["ctl", "--server", "https://x.example", "account"], ["db"], ["db", "--config", "x.toml", "schema"], ["ctl", "--bogus", "account", "list"]]) {
      const r = await runMcias(args, { env: CLEAN });
      expect({ args, code: r.code, out: r.stdout }).toEqual({ args, code: 2, out: "" });
      expect(r.stderr).toContain("USAGE");
    }
  }, 60_000);
});

describe("--help at 80 columns", () => {
  test("every level's help: no line over 80 columns, no trailing blanks (citty padded every description to the widest)", async () => {
    const leaves = [...(await leavesOf("ctl")), ...(await leavesOf("db")), ...(await leavesOf("serve"))];
    const paths = new Set<string>([""]);
    for (const l of leaves) for (let i = 1; i <= l.path.length; i++) paths.add(l.path.slice(0, i).join(" "));
    expect(paths.size).toBeGreaterThan(60);
    const bad: string[] = [];
    for (const p of paths) {
      const r = await runMcias([...(p ? p.split(" ") : []), "--help"]);
      expect(r.code).toBe(0);
      for (const line of r.stdout.split("\n")) {
        if (line.length > 80) bad.push(`${p}: too long (${line.length}): ${line}`);
        if (/\s$/.test(line)) bad.push(`${p}: trailing blanks: ${JSON.stringify(line)}`);
      }
    }
    expect(bad).toEqual([]);
  }, 180_000);
});

describe("accounts by id or username (SPEC §17)", () => {
  test("GET /v1/audit?account=<username> finds the same events as the id; an unknown name is a 404", async () => {
    const tok = await s.adminToken();
    const me = (await s.call("GET", "/v1/auth/me", { token: tok })).body;
    const byId = await s.call("GET", `/v1/audit?account=${me.id}`, { token: tok });
    const byName = await s.call("GET", "/v1/audit?account=admin", { token: tok });
    const byUpper = await s.call("GET", "/v1/audit?account=ADMIN", { token: tok });
    expect(byName.status).toBe(200);
    expect(byName.body.events.length).toBeGreaterThan(0);
    expect(byName.body.events).toEqual(byId.body.events);
    expect(byUpper.body.events).toEqual(byId.body.events);
    const none = await s.call("GET", "/v1/audit?account=nobody-at-all", { token: tok });
    expect(none.status).toBe(404);
    expect(none.body.code).toBe("not_found");
    // GET /v1/accounts?username= gives that account (or nothing).
    expect((await s.call("GET", "/v1/accounts?username=Admin", { token: tok })).body.map((a: { id: string }) => a.id)).toEqual([me.id]);
    expect((await s.call("GET", "/v1/accounts?username=nobody-at-all", { token: tok })).body).toEqual([]);
  });

  test("ctl: --id, --grantee, --account and policy evaluate --subject take usernames", async () => {
    const tok = await s.adminToken();
    const a = ["--token", tok, ...conn()];
    expect((await ctl(["account", "create", "--username", "cli-svc", "--type", "system", ...a])).code).toBe(0);
    expect((await ctl(["account", "create", "--username", "cli-hu", "--type", "human", ...a], { stdin: "cli-hu-password-1\ncli-hu-password-1\n" })).code).toBe(0);
    const get = await ctl(["account", "get", "--id", "cli-svc", ...a]);
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/^username:\s+cli-svc$/m);
    expect((await ctl(["role", "grant", "--id", "cli-hu", "--role", "ops", ...a])).stdout.trim()).toBe("ops");
    expect((await ctl(["delegate", "grant", "--id", "cli-svc", "--grantee", "cli-hu", ...a])).code).toBe(0);
    const dl = await ctl(["delegate", "list", "--id", "cli-svc", ...a]);
    expect(dl.stdout).toContain("cli-hu");
    const q = await ctl(["audit", "query", "--account", "cli-hu", "--json", ...a]);
    expect(q.code).toBe(0);
    const types = JSON.parse(q.stdout).events.map((e: { type: string }) => e.type);
    expect(types).toContain("role_granted");
    const svcEvents = JSON.parse((await ctl(["audit", "query", "--account", "cli-svc", "--json", ...a])).stdout).events.map((e: { type: string }) => e.type);
    expect(svcEvents).toContain("token_delegate_granted");
    const unknown = await ctl(["audit", "query", "--account", "no-such-user", ...a]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no-such-user");
    const ev = await ctl(["policy", "evaluate", "--subject", "cli-hu", "--action", "tokens:issue", "--resource-type", "token", "--resource-id", "cli-svc", "--json", ...a]);
    expect({ code: ev.code, err: ev.stderr }).toEqual({ code: 0, err: "" });
    expect(JSON.parse(ev.stdout).effect).toBe("allow");
    const deny = await ctl(["policy", "evaluate", "--subject", "cli-hu", "--action", "accounts:delete", "--resource-type", "account", "--resource-id", "admin", "--json", ...a]);
    expect(JSON.parse(deny.stdout).effect).toBe("deny");
  }, 60_000);

  test("db: --id takes a username too", async () => {
    const byName = await runMcias(["db", "account", "get", "--id", "admin", "--config", s.configPath]);
    expect(byName.code).toBe(0);
    const id = JSON.parse(byName.stdout).id;
    const byId = await runMcias(["db", "account", "get", "--id", id, "--config", s.configPath]);
    expect(JSON.parse(byId.stdout).username).toBe("admin");
    expect((await runMcias(["db", "role", "list", "--id", "admin", "--config", s.configPath])).stdout.trim()).toBe("admin");
  });
});

describe("time flags, audit tail order, bad --type", () => {
  test("--since 24h in ctl and db; a bad --since is a usage error naming both forms", async () => {
    const a = ["--token", await s.adminToken(), ...conn()];
    const recent = await ctl(["audit", "query", "--since", "24h", "--json", ...a]);
    expect(recent.code).toBe(0);
    expect(JSON.parse(recent.stdout).events.length).toBeGreaterThan(0);
    const future = await ctl(["audit", "query", "--until", "48h", "--json", ...a]);
    expect(JSON.parse(future.stdout).events).toEqual([]);
    const bad = await ctl(["audit", "query", "--since", "yesterday", ...a]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("24h");
    const db = await runMcias(["db", "audit", "query", "--since", "24h", "--json", "--config", s.configPath]);
    expect(db.code).toBe(0);
    expect(db.stdout.trim().split("\n").length).toBeGreaterThan(0);
  });

  test("audit tail prints oldest first in both tools", async () => {
    const a = ["--token", await s.adminToken(), ...conn()];
    const t = await ctl(["audit", "tail", "--n", "50", ...a]);
    const times = t.stdout.trim().split("\n").slice(1).map((l) => l.split(/\s+/)[0]!);
    expect(times.length).toBeGreaterThan(2);
    expect([...times].sort()).toEqual(times);
    const d = await runMcias(["db", "audit", "tail", "--n", "50", "--json", "--config", s.configPath]);
    const ids = d.stdout.trim().split("\n").map((l) => JSON.parse(l).id as number);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
  });

  test("a bad --type lists the valid types (API, ctl, db)", async () => {
    const r = await s.call("GET", "/v1/audit?type=login_oops", { token: await s.adminToken() });
    expect(r.status).toBe(400);
    expect(r.body.error).toContain("login_ok");
    const c = await ctl(["audit", "query", "--type", "login_oops", "--token", await s.adminToken(), ...conn()]);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain("login_fail");
    const d = await runMcias(["db", "audit", "query", "--type", "login_oops", "--config", s.configPath]);
    expect(d.code).not.toBe(0);
    expect(d.stderr).toContain("login_fail");
  });
});

describe("db output and humans without a password (defect 5)", () => {
  test("db account create prints labelled fields; list has a header", async () => {
    const c = await runMcias(["db", "account", "create", "--username", "db-labelled", "--type", "system", "--config", s.configPath]);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/^id:\s+[0-9a-f-]{36}$/m);
    expect(c.stdout).toMatch(/^username:\s+db-labelled$/m);
    const l = await runMcias(["db", "account", "list", "--config", s.configPath]);
    expect(l.stdout.split("\n")[0]).toMatch(/^ID\s+USERNAME\s+TYPE\s+STATUS\s+ROLES\s+TOTP$/);
  });

  test("a human without a password from db and from ctl, like the API; it cannot log in until given one", async () => {
    const d = await runMcias(["db", "account", "create", "--username", "db-invitee", "--type", "human", "--no-password", "--config", s.configPath]);
    expect({ code: d.code, err: d.stderr }).toEqual({ code: 0, err: "" });
    expect(d.stdout).toContain("password:");
    const c = await ctl(["account", "create", "--username", "ctl-invitee", "--type", "human", "--no-password", "--json", "--token", await s.adminToken(), ...conn()]);
    expect({ code: c.code, err: c.stderr }).toEqual({ code: 0, err: "" });
    expect(JSON.parse(c.stdout)).toMatchObject({ username: "ctl-invitee", account_type: "human", status: "active" });
    for (const u of ["db-invitee", "ctl-invitee"]) {
      expect((await s.call("POST", "/v1/auth/login", { json: { username: u, password: "anything-at-all-1" } })).status).toBe(401);
    }
  });
});

describe("auth login remembers the server; errors say what to do", () => {
  test("auth login --server --cacert saves both; later commands need neither", async () => {
    const h = home();
    const login = await ctl(["auth", "login", "--username", "admin", ...conn()], { stdin: "admin-password-for-tests-1\n", home: h });
    expect({ code: login.code, err: login.stderr }).toEqual({ code: 0, err: "" });
    const saved = JSON.parse(await Bun.file(join(h, "mcias", "server.json")).text());
    expect(saved).toEqual({ server: s.url, cacert: join(s.dir, "server.crt") });
    const who = await ctl(["auth", "whoami"], { home: h });
    expect({ code: who.code, err: who.stderr }).toEqual({ code: 0, err: "" });
    expect(who.stdout).toMatch(/^username:\s+admin$/m);
  });

  test("not logged in: says to run auth login", async () => {
    const r = await ctl(["account", "list", ...conn()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("run mcias ctl auth login");
  });

  test("untrusted CA: says to pass --cacert and where the dev instance's certificate is", async () => {
    const r = await ctl(["vault", "status", "--server", s.url], { env: { MCIAS_HOME: "/srv/devhome" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--cacert");
    expect(r.stderr).toContain("/srv/devhome/server.crt");
    expect(r.stderr).not.toMatch(/verbose|CERT_|ERR_/);
  });

  test("connection refused: names the URL tried", async () => {
    const r = await ctl(["vault", "status", "--server", "https://127.0.0.1:9"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("https://127.0.0.1:9");
    expect(r.stderr).toContain("connection refused");
    expect(r.stderr).not.toContain("Is the computer able");
  });

  test("certificate name mismatch: lists the certificate's names and the host used", async () => {
    // localhost is in the certificate, 127.0.0.1 too; ::1 is not.
    const { makeSelfSignedCert } = await import("../../src/crypto/selfSignedCert");
    const { startServer, removeDir } = await import("../helpers/server");
    const { writeFileSync } = await import("node:fs");
    const other = await startServer({ noAdmin: true });
    await other.stop();
    const cert = await makeSelfSignedCert({ dnsNames: ["auth.example.test"], ips: [] });
    writeFileSync(join(other.dir, "server.crt"), cert.certPem);
    writeFileSync(join(other.dir, "server.key"), cert.keyPem, { mode: 0o600 });
    const again = await startServer({ dir: other.dir, noAdmin: true });
    try {
      const r = await ctl(["vault", "status", "--server", again.url, "--cacert", join(again.dir, "server.crt")]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("auth.example.test");
      expect(r.stderr).toContain("127.0.0.1");
      expect(r.stderr).not.toMatch(/verbose|ERR_TLS/);
    } finally {
      await again.stop();
      removeDir(again.dir);
    }
  }, 60_000);

  test("a TOTP account logging in without --totp is asked for a code after the refusal", async () => {
    const OTPAuth = await import("otpauth");
    const tok = await s.adminToken();
    const id = (await s.call("POST", "/v1/accounts", { token: tok, json: { username: "totp-tina", account_type: "human", password: "totp-tina-password-1" } })).body.id;
    expect(id).toBeTruthy();
    const t1 = await s.login("totp-tina", "totp-tina-password-1");
    const en = await s.call("POST", "/v1/auth/totp/enroll", { token: t1, json: { current_password: "totp-tina-password-1" } });
    const enroll = en.status === 200 ? en : await s.call("POST", "/v1/auth/totp/enroll", { token: t1 });
    expect(enroll.status).toBe(200);
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enroll.body.secret), digits: 6, period: 30, algorithm: "SHA1" });
    expect((await s.call("POST", "/v1/auth/totp/confirm", { token: t1, json: { code: totp.generate() } })).status).toBe(200);
    // The next step's code: the confirm code may not be used twice.
    const next = totp.generate({ timestamp: Date.now() + 30_000 });
    const h = home();
    const r = await ctl(["auth", "login", "--username", "totp-tina", ...conn()], { stdin: `totp-tina-password-1\n${next}\n`, home: h });
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: "" });
    expect(r.stdout).toContain("logged in as totp-tina");
    // Without a code on stdin: the refusal is reported, nothing saved.
    const h2 = home();
    const no = await ctl(["auth", "login", "--username", "totp-tina", ...conn()], { stdin: "totp-tina-password-1\n", home: h2 });
    expect(no.code).toBe(1);
    expect(no.stderr).toContain("unauthorized");
  }, 60_000);
});
