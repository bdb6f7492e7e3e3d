/**
 * `mcias ctl` as a user runs it (SPEC §9): the binary spawned with --server and
 * --cacert, secrets piped on stdin, the token saved under a temp XDG_CONFIG_HOME.
 * Checks stdout, stderr, exit codes (0 ok, 1 refused with the server's code, 2 usage),
 * --json output, and the token file's modes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as OTPAuth from "otpauth";
import { ADMIN_PASSWORD, removeDir, runMcias, type TestServer, useServer } from "../helpers/server";

const PASS = "ctl-test-passphrase-1";
let s: TestServer;
let cfg: string;
let adminTok: string;

/** Runs `mcias ctl …` against the test server with its own config home. */
function ctl(args: string[], o: { stdin?: string; env?: Record<string, string>; token?: string; home?: string; server?: boolean } = {}) {
  const conn = o.server === false ? [] : ["--server", s.url, "--cacert", join(s.dir, "server.crt")];
  return runMcias(["ctl", ...args, ...conn, ...(o.token ? ["--token", o.token] : [])], {
    stdin: o.stdin,
    env: { XDG_CONFIG_HOME: o.home ?? cfg, MCIAS_TOKEN: "", MCIAS_SERVER: "", MCIAS_CACERT: "", ...o.env },
  });
}
/** As the admin (token passed with --token). */
const actl = (args: string[], o: { stdin?: string } = {}) => ctl(args, { ...o, token: adminTok });
const json = (r: { stdout: string }) => JSON.parse(r.stdout);
const newHome = () => mkdtempSync(join(tmpdir(), "mcias-ctl-home-"));

useServer((x) => { s = x; }, { passphrase: PASS });
beforeAll(async () => {
  cfg = newHome();
  adminTok = await s.login("admin", ADMIN_PASSWORD);
});
afterAll(() => { removeDir(cfg); });

describe("help and usage errors", () => {
  test("ctl --help lists every group; each group's --help lists its subcommands with their flags", async () => {
    const top = await runMcias(["ctl", "--help"]);
    expect(top.code).toBe(0);
    for (const g of ["auth", "account", "role", "tag", "token", "delegate", "pgcreds", "policy", "audit", "vault"]) expect(top.stdout).toContain(g);
    const expected: Record<string, string[]> = {
      auth: ["auth login [--username <username>]", "auth logout", "auth whoami", "auth change-password", "auth totp-enroll", "auth totp-confirm --code <code>", "auth recovery-codes"],
      account: ["account create --username <username> --type human|system", "account list", "account get --id <id>", "account update --id <id> [--status active|inactive]", "account delete --id <id>", "account set-password --id <id>", "account remove-totp --id <id>", "account invite --id <id>"],
      role: ["role list --id <id>", "role set --id <id> [--roles <roles>]", "role grant --id <id> --role <role>", "role revoke --id <id> --role <role>"],
      tag: ["tag list --id <id>", "tag set --id <id> [--tags <tags>]"],
      token: ["token issue --id <id>", "token revoke --jti <jti>", "token list --id <id>", "token validate"],
      delegate: ["delegate list --id <id>", "delegate grant --id <id> --grantee <grantee>", "delegate revoke --id <id> --grantee <grantee>"],
      pgcreds: ["pgcreds list", "pgcreds get --id <id>", "pgcreds set --id <id> --host <host> --port <port> --db <db> --user <user>", "pgcreds grant --id <id> --grantee <grantee>", "pgcreds revoke --id <id> --grantee <grantee>"],
      policy: ["policy list", "policy get --id <id>", "policy create [--file <file>]", "policy update --id <id> [--file <file>]", "policy delete --id <id>", "policy evaluate [--subject <subject>]"],
      audit: ["audit tail [--n <n>]", "audit query [--account <account>] [--type <type>] [--since <since>]"],
      vault: ["vault status", "vault seal", "vault unseal"],
    };
    for (const [g, lines] of Object.entries(expected)) {
      const r = await runMcias(["ctl", g, "--help"]);
      expect(r.code).toBe(0);
      for (const l of lines) expect(r.stdout).toContain(l);
      expect(r.stdout).toContain("Example: mcias ctl");
      expect(r.stdout).toContain("--server URL, --token T, --cacert FILE and --json");
    }
    const leaf = await runMcias(["ctl", "account", "create", "--help"]);
    expect(leaf.code).toBe(0);
    for (const f of ["--username", "--type", "--server", "--token", "--cacert", "--json"]) expect(leaf.stdout).toContain(f);
  }, 60_000);

  test("missing flags, unknown flags and subcommands, no server: exit 2 with help", async () => {
    for (const args of [["account", "get"], ["account", "create", "--username", "x"], ["account", "get", "--id", "x", "--bogus"], ["account", "frob"], ["role", "set", "--id", "x"], ["account", "update", "--id", "x", "--status", "gone"], ["pgcreds", "set", "--id", "x", "--host", "h", "--port", "99999", "--db", "d", "--user", "u"], ["audit", "tail", "--n", "0"], ["policy", "get", "--id", "abc"]]) {
      const r = await actl(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain("USAGE");
      expect(r.stdout).toBe("");
    }
    // Here --token is the token to check; without it: usage.
    const noToken = await ctl(["token", "validate"]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("USAGE");
    const noServer = await ctl(["account", "list"], { server: false, token: adminTok });
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toContain("MCIAS_SERVER");
    const plain = await ctl(["account", "list", "--server", "http://auth.example.com"], { server: false, token: adminTok });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain("https://");
    // MCIAS_SERVER and MCIAS_CACERT stand in for the flags.
    const env = await ctl(["account", "list"], { server: false, token: adminTok, env: { MCIAS_SERVER: s.url, MCIAS_CACERT: join(s.dir, "server.crt") } });
    expect(env.code).toBe(0);
  }, 60_000);
});

describe("auth", () => {
  test("login saves the token (dir 0700, file 0600) and never prints it; whoami uses it; --json is parseable", async () => {
    const home = newHome();
    const r = await ctl(["auth", "login", "--username", "admin"], { stdin: `${ADMIN_PASSWORD}\n`, home });
    expect(r.code).toBe(0);
    const file = join(home, "mcias", "token");
    const tok = readFileSync(file, "utf8").trim();
    expect(tok.split(".").length).toBe(3);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, "mcias")).mode & 0o777).toBe(0o700);
    expect(r.stdout + r.stderr).not.toContain(tok);
    expect(r.stdout + r.stderr).not.toContain(ADMIN_PASSWORD);
    const who = await ctl(["auth", "whoami"], { home });
    expect(who.code).toBe(0);
    expect(who.stdout).toMatch(/^username:\s+admin$/m);
    const whoJson = await ctl(["auth", "whoami", "--json"], { home });
    expect(json(whoJson)).toMatchObject({ username: "admin", roles: ["admin"] });
    // Without --username: the first stdin line is the username, the next the password.
    const r2 = await ctl(["auth", "login", "--json"], { stdin: `admin\n${ADMIN_PASSWORD}\n`, home });
    expect(r2.code).toBe(0);
    expect(Object.keys(json(r2)).sort()).toEqual(["expires_at", "server_file", "token_file"]);
    expect(r2.stdout).not.toContain(readFileSync(file, "utf8").trim());
    // A token file others can read is refused.
    chmodSync(file, 0o644);
    const loose = await ctl(["auth", "whoami"], { home });
    expect(loose.code).toBe(1);
    chmodSync(file, 0o600);
    removeDir(home);
  });

  test("wrong password: exit 1 with unauthorized, nothing saved", async () => {
    const home = newHome();
    const r = await ctl(["auth", "login", "--username", "admin"], { stdin: "wrong-password-123\n", home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unauthorized");
    expect(r.stderr).not.toContain("wrong-password-123");
    expect(existsSync(join(home, "mcias", "token"))).toBe(false);
    // No password on stdin at all: exit 1 with the reason, no stack trace.
    const none = await ctl(["auth", "login", "--username", "admin"], { home });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("standard input");
    expect(none.stderr).not.toContain("    at ");
    removeDir(home);
  });

  test("a revoked or expired saved token: exit 1 unauthorized; logout revokes and deletes the file", async () => {
    const home = newHome();
    expect((await ctl(["auth", "login", "--username", "admin"], { stdin: `${ADMIN_PASSWORD}\n`, home })).code).toBe(0);
    const file = join(home, "mcias", "token");
    const tok = readFileSync(file, "utf8").trim();
    // Revoked behind ctl's back.
    expect((await s.call("POST", "/v1/auth/logout", { token: tok })).status).toBe(204);
    const r = await ctl(["account", "list"], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unauthorized");
    // A token past its expiry (a forged one fails the same way; the server cannot tell us apart).
    writeFileSync(file, "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJleHAiOjF9.AAAA\n", { mode: 0o600 });
    expect((await ctl(["auth", "whoami"], { home })).stderr).toContain("unauthorized");
    // Logout: token revoked server-side, file removed.
    expect((await ctl(["auth", "login", "--username", "admin"], { stdin: `${ADMIN_PASSWORD}\n`, home })).code).toBe(0);
    const tok2 = readFileSync(file, "utf8").trim();
    const out = await ctl(["auth", "logout"], { home });
    expect(out.code).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect((await s.call("POST", "/v1/token/validate", { json: { token: tok2 } })).body).toEqual({ valid: false });
    removeDir(home);
  });

  test("change-password and TOTP enrollment through ctl", async () => {
    const home = newHome();
    const c = await actl(["account", "create", "--username", "ctl-kim", "--type", "human", "--json"], { stdin: "kim-password-123\n" });
    expect(c.code).toBe(0);
    expect((await ctl(["auth", "login", "--username", "ctl-kim"], { stdin: "kim-password-123\n", home })).code).toBe(0);
    const cp = await ctl(["auth", "change-password"], { stdin: "kim-password-123\nkim-password-456\n", home });
    expect(cp.code).toBe(0);
    expect((await ctl(["auth", "login", "--username", "ctl-kim"], { stdin: "kim-password-123\n", home })).code).toBe(1);
    expect((await ctl(["auth", "login", "--username", "ctl-kim"], { stdin: "kim-password-456\n", home })).code).toBe(0);
    const en = await ctl(["auth", "totp-enroll", "--json"], { home, stdin: "kim-password-456\n" });
    expect(en.code).toBe(0);
    const { secret, otpauth_uri } = json(en);
    expect(otpauth_uri).toStartWith("otpauth://totp/");
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
    expect((await ctl(["auth", "totp-confirm", "--code", "000000x"], { home })).code).toBe(1);
    expect((await ctl(["auth", "totp-confirm", "--code", totp.generate()], { home })).code).toBe(0);
    // Now a login needs --totp and a code (next step: the confirm code cannot be replayed).
    expect((await ctl(["auth", "login", "--username", "ctl-kim"], { stdin: "kim-password-456\n", home })).code).toBe(1);
    const code = totp.generate({ timestamp: Date.now() + 30_000 });
    expect((await ctl(["auth", "login", "--username", "ctl-kim", "--totp"], { stdin: `kim-password-456\n${code}\n`, home })).code).toBe(0);
    // Someone else's admin command with this non-admin token: forbidden.
    const f = await ctl(["account", "list"], { home });
    expect(f.code).toBe(1);
    expect(f.stderr).toContain("forbidden");
    removeDir(home);
  }, 60_000);
});

describe("accounts, roles, tags", () => {
  test("create, list (table), get, update, set-password, remove-totp, delete; bad ids", async () => {
    const c = await actl(["account", "create", "--username", "ctl-lee", "--type", "human", "--roles", "dev,ops", "--json"], { stdin: "lee-password-123\n" });
    expect(c.code).toBe(0);
    const a = json(c);
    expect(a).toMatchObject({ username: "ctl-lee", account_type: "human", roles: ["dev", "ops"] });
    const dup = await actl(["account", "create", "--username", "ctl-lee", "--type", "system"]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("conflict");
    const list = await actl(["account", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout.split("\n")[0]).toMatch(/^ID\s+USERNAME\s+TYPE\s+STATUS\s+ROLES\s+TAGS\s+TOTP$/);
    expect(list.stdout).toMatch(new RegExp(`^${a.id}\\s+ctl-lee\\s+human\\s+active\\s+dev,ops`, "m"));
    const lj = await actl(["account", "list", "--json"]);
    expect(json(lj).map((x: { username: string }) => x.username)).toContain("ctl-lee");
    const g = await actl(["account", "get", "--id", a.id]);
    expect(g.stdout).toMatch(/^status:\s+active$/m);
    expect(json(await actl(["account", "get", "--id", a.id, "--json"]))).toEqual(json(await actl(["account", "get", "--id", a.id, "--json"])));
    // --id takes an id or a username (SPEC §17): a name nobody holds is not_found.
    const bad = await actl(["account", "get", "--id", "not-a-uuid"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("no account named not-a-uuid");
    const missing = await actl(["account", "get", "--id", crypto.randomUUID()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("not_found");
    const u = await actl(["account", "update", "--id", a.id, "--status", "inactive", "--json"]);
    expect(json(u).status).toBe("inactive");
    expect((await actl(["account", "update", "--id", a.id, "--status", "active"])).code).toBe(0);
    expect((await actl(["account", "set-password", "--id", a.id], { stdin: "lee-password-999\n" })).code).toBe(0);
    await s.login("ctl-lee", "lee-password-999");
    expect((await actl(["account", "set-password", "--id", a.id], { stdin: "short\n" })).stderr).toContain("bad_request");
    expect((await actl(["account", "set-password", "--id", a.id], { stdin: "" })).code).toBe(1);
    expect((await actl(["account", "remove-totp", "--id", a.id])).code).toBe(0);
    expect((await actl(["account", "delete", "--id", a.id])).code).toBe(0);
    expect(json(await actl(["account", "get", "--id", a.id, "--json"])).status).toBe("deleted");
    expect((await actl(["account", "delete", "--id", crypto.randomUUID()])).stderr).toContain("not_found");
  }, 60_000);

  test("roles and tags", async () => {
    const a = json(await actl(["account", "create", "--username", "ctl-sys", "--type", "system", "--json"]));
    expect((await actl(["role", "set", "--id", a.id, "--roles", "a,b"])).stdout).toBe("a\nb\n");
    expect(json(await actl(["role", "grant", "--id", a.id, "--role", "c", "--json"]))).toEqual({ roles: ["a", "b", "c"] });
    expect((await actl(["role", "revoke", "--id", a.id, "--role", "a"])).code).toBe(0);
    expect(json(await actl(["role", "list", "--id", a.id, "--json"])).roles.sort()).toEqual(["b", "c"]);
    expect((await actl(["role", "set", "--id", a.id, "--roles", ""])).stdout).toBe("(none)\n");
    expect((await actl(["role", "grant", "--id", a.id, "--role", "Bad Role"])).stderr).toContain("bad_request");
    expect(json(await actl(["tag", "set", "--id", a.id, "--tags", "env:prod,x", "--json"])).tags.sort()).toEqual(["env:prod", "x"]);
    expect((await actl(["tag", "list", "--id", a.id])).stdout.split("\n").filter(Boolean).sort()).toEqual(["env:prod", "x"]);
    expect((await actl(["tag", "list", "--id", crypto.randomUUID()])).stderr).toContain("not_found");
  }, 60_000);
});

describe("tokens, delegates, pgcreds", () => {
  let svc: { id: string };
  let human: { id: string };
  beforeAll(async () => {
    svc = json(await actl(["account", "create", "--username", "ctl-svc", "--type", "system", "--json"]));
    human = json(await actl(["account", "create", "--username", "ctl-max", "--type", "human", "--json"], { stdin: "max-password-123\n" }));
  });

  test("token issue (printed once), list, validate, revoke", async () => {
    const i = await actl(["token", "issue", "--id", svc.id]);
    expect(i.code).toBe(0);
    const token = i.stdout.match(/^token:\s+(\S+)$/m)![1]!;
    const jti = i.stdout.match(/^jti:\s+(\S+)$/m)![1]!;
    const v = await ctl(["token", "validate", "--token", token]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^valid:\s+true$/m);
    expect(json(await ctl(["token", "validate", "--token", "-", "--json"], { stdin: `${token}\n` }))).toMatchObject({ valid: true, jti });
    const l = await actl(["token", "list", "--id", svc.id]);
    expect(l.stdout).toMatch(/^JTI\s+ISSUED_AT\s+EXPIRES_AT\s+REVOKED_AT$/m);
    expect(l.stdout).toContain(jti);
    expect(l.stdout).not.toContain(token);
    expect((await actl(["token", "revoke", "--jti", jti])).code).toBe(0);
    const after = await ctl(["token", "validate", "--token", token, "--json"]);
    expect(after.code).toBe(1);
    expect(json(after)).toEqual({ valid: false });
    expect((await actl(["token", "issue", "--id", human.id])).code).toBe(1);
  });

  test("delegates: grant lets the human issue, revoke takes it back", async () => {
    const g = await actl(["delegate", "grant", "--id", svc.id, "--grantee", human.id, "--json"]);
    expect(g.code).toBe(0);
    expect(json(g)).toMatchObject({ grantee_id: human.id, username: "ctl-max" });
    expect((await actl(["delegate", "list", "--id", svc.id])).stdout).toMatch(new RegExp(`^${human.id}\\s+ctl-max`, "m"));
    const maxTok = await s.login("ctl-max", "max-password-123");
    expect((await ctl(["token", "issue", "--id", svc.id], { token: maxTok })).code).toBe(0);
    expect((await actl(["delegate", "revoke", "--id", svc.id, "--grantee", human.id])).code).toBe(0);
    const denied = await ctl(["token", "issue", "--id", svc.id], { token: maxTok });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("forbidden");
    expect((await actl(["delegate", "grant", "--id", svc.id, "--grantee", "nope"])).stderr).toContain("no account named nope");
  });

  test("pgcreds: set (password from stdin), get, list, grant, grants, revoke", async () => {
    const set = await actl(["pgcreds", "set", "--id", svc.id, "--host", "db.local", "--port", "5432", "--db", "app", "--user", "app"], { stdin: "pg-secret-1\n" });
    expect(set.code).toBe(0);
    expect(json(await actl(["pgcreds", "get", "--id", svc.id, "--json"]))).toEqual({ host: "db.local", port: 5432, database: "app", username: "app", password: "pg-secret-1" });
    expect((await actl(["pgcreds", "get", "--id", svc.id])).stdout).toMatch(/^password:\s+pg-secret-1$/m);
    const l = await actl(["pgcreds", "list"]);
    expect(l.stdout).toMatch(new RegExp(`^${svc.id}\\s+ctl-svc\\s+db.local\\s+5432\\s+app\\s+app$`, "m"));
    expect(l.stdout).not.toContain("pg-secret-1");
    expect((await actl(["pgcreds", "grant", "--id", svc.id, "--grantee", human.id])).code).toBe(0);
    expect((await actl(["pgcreds", "grants", "--id", svc.id])).stdout).toContain(human.id);
    const maxTok = await s.login("ctl-max", "max-password-123");
    const meta = json(await ctl(["pgcreds", "get", "--id", svc.id, "--json"], { token: maxTok }));
    expect(meta.password).toBeUndefined();
    expect((await actl(["pgcreds", "revoke", "--id", svc.id, "--grantee", human.id])).code).toBe(0);
    expect((await ctl(["pgcreds", "get", "--id", svc.id], { token: maxTok })).stderr).toContain("forbidden");
    expect((await actl(["pgcreds", "get", "--id", crypto.randomUUID()])).code).toBe(1);
  });
});

describe("policy, audit, vault", () => {
  test("policy create (stdin and --file), list, get, update, evaluate, delete", async () => {
    const h = json(await actl(["account", "create", "--username", "ctl-aud", "--type", "system", "--roles", "auditor", "--json"]));
    const rule = { description: "auditors read audit", effect: "allow", match: { roles: ["auditor"], actions: ["audit:read"] } };
    const c = await actl(["policy", "create", "--json"], { stdin: JSON.stringify(rule) });
    expect(c.code).toBe(0);
    const r = json(c);
    expect(r).toMatchObject({ ...rule, enabled: true });
    const dir = mkdtempSync(join(tmpdir(), "mcias-ctl-pol-"));
    writeFileSync(join(dir, "eval.json"), JSON.stringify({ subject_id: h.id, action: "audit:read", resource: { type: "audit" } }));
    const ev = await actl(["policy", "evaluate", "--file", join(dir, "eval.json"), "--json"]);
    expect(json(ev)).toEqual({ effect: "allow", rule_id: r.id, rule_description: rule.description });
    const list = await actl(["policy", "list"]);
    expect(list.stdout).toMatch(/^ID\s+EFFECT\s+PRIORITY\s+ENABLED\s+DESCRIPTION\s+MATCH$/m);
    expect(list.stdout).toContain("auditors read audit");
    expect((await actl(["policy", "get", "--id", String(r.id)])).stdout).toMatch(/^effect:\s+allow$/m);
    writeFileSync(join(dir, "upd.json"), JSON.stringify({ enabled: false }));
    expect(json(await actl(["policy", "update", "--id", String(r.id), "--file", join(dir, "upd.json"), "--json"])).enabled).toBe(false);
    expect(json(await actl(["policy", "evaluate", "--json"], { stdin: readFileSync(join(dir, "eval.json"), "utf8") })).effect).toBe("deny");
    expect((await actl(["policy", "create"], { stdin: "{not json" })).code).toBe(2);
    const badRule = await actl(["policy", "create"], { stdin: JSON.stringify({ ...rule, bogus: 1 }) });
    expect(badRule.code).toBe(1);
    expect(badRule.stderr).toContain("bad_request");
    // Built-in rules: negative ids, readable, immutable.
    expect(json(await actl(["policy", "get", "--id", "-1", "--json"])).id).toBe(-1);
    expect((await actl(["policy", "delete", "--id", "-1"])).stderr).toContain("forbidden");
    expect((await actl(["policy", "delete", "--id=-1"])).stderr).toContain("forbidden");
    expect((await actl(["policy", "delete", "--id", String(r.id)])).code).toBe(0);
    expect((await actl(["policy", "get", "--id", String(r.id)])).stderr).toContain("not_found");
    removeDir(dir);
  });

  test("audit tail and query", async () => {
    const t = await actl(["audit", "tail", "--n", "5"]);
    expect(t.code).toBe(0);
    const lines = t.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^TIME\s+TYPE\s+ACTOR\s+TARGET\s+IP\s+DETAILS$/);
    expect(lines.length).toBe(6);
    // tail is oldest first
    const times = lines.slice(1).map((l) => l.split(/\s+/)[0]!);
    expect([...times].sort()).toEqual(times);
    const q = await actl(["audit", "query", "--type", "login_ok", "--since", "2000-01-01T00:00:00Z", "--json"]);
    const page = json(q);
    expect(page.events.length).toBeGreaterThan(0);
    expect(page.events.every((e: { type: string }) => e.type === "login_ok")).toBe(true);
    const acct = await actl(["audit", "query", "--account", "admin", "--json"]);
    expect(acct.code).toBe(0);
    const yesterday = await actl(["audit", "query", "--since", "yesterday"]);
    expect(yesterday.code).toBe(2);
    expect(yesterday.stderr).toContain("duration back from now");
  });

  test("vault status, seal (then sealed errors), unseal with the passphrase from stdin", async () => {
    expect(json(await ctl(["vault", "status", "--json"]))).toEqual({ sealed: false });
    expect((await actl(["vault", "seal"])).stdout).toMatch(/^sealed:\s+true$/m);
    const sealed = await actl(["account", "list"]);
    expect(sealed.code).toBe(1);
    expect(sealed.stderr).toContain("vault_sealed");
    const wrong = await ctl(["vault", "unseal"], { stdin: "not-the-passphrase\n" });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("unauthorized");
    expect(wrong.stderr).not.toContain("not-the-passphrase");
    const ok = await ctl(["vault", "unseal", "--json"], { stdin: `${PASS}\n` });
    expect(ok.code).toBe(0);
    expect(json(ok)).toEqual({ sealed: false });
    expect((await actl(["account", "list"])).code).toBe(0);
  });

  test("no CA: exit 1 saying to pass --cacert", async () => {
    const r = await runMcias(["ctl", "vault", "status", "--server", s.url], { env: { MCIAS_CACERT: "", XDG_CONFIG_HOME: cfg } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--cacert");
  });
});
