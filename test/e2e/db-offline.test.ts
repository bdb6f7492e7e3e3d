/**
 * `mcias db` on a database file with no server (SPEC §10): schema commands, account
 * and audit commands, prune, pgcreds with a passphrase master key, and the clear
 * errors with a non-zero exit the break-glass tool owes its operator (missing config,
 * missing database, unknown account, wrong passphrase, locked database, a schema newer
 * than the binary). Bad input changes nothing.
 */
import { LATEST_VERSION } from "../../src/store/migrate";
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "../../src/crypto/random";
import { removeDir, runMcias } from "../helpers/server";

const PASS = "offline master passphrase";

/** A config for `mcias db` alone: TLS files are not read by db commands. */
function makeInstance(masterKey: "keyfile" | "passphrase"): { dir: string; config: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), "mcias-db-"));
  const config = join(dir, "mcias.toml");
  writeFileSync(join(dir, "master.key"), randomBytes(32).toString("base64"), { mode: 0o600 });
  writeFileSync(config, [
    `[server]\nlisten_addr = "127.0.0.1:0"\ntls_cert = "server.crt"\ntls_key = "server.key"`,
    `[database]\npath = "mcias.db"`,
    `[tokens]\nissuer = "https://mcias.test"`,
    `[argon2]\ntime = 2\nmemory = 19456`,
    `[master_key]\n${masterKey === "keyfile" ? `keyfile = "master.key"` : `passphrase_env = "MCIAS_OFFLINE_PASS"`}`,
  ].join("\n\n") + "\n");
  return { dir, config, db: join(dir, "mcias.db") };
}

let k: ReturnType<typeof makeInstance>;
let p: ReturnType<typeof makeInstance>;
const db = (args: string[], o: { stdin?: string; env?: Record<string, string> } = {}) => runMcias(["db", ...args, "--config", k.config], o);
const pdb = (args: string[], o: { stdin?: string; env?: Record<string, string> } = {}) => runMcias(["db", ...args, "--config", p.config], o);

function sql<T>(file: string, fn: (d: Database) => T): T {
  const d = new Database(file);
  try { return fn(d); } finally { d.close(); }
}
const hashOf = (username: string) => sql(k.db, (d) => d.query<{ h: string | null }, [string]>("SELECT password_hash AS h FROM accounts WHERE username = ?").get(username)?.h);
const auditCount = () => sql(k.db, (d) => d.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM audit_log").get()!.n);
const lines = (s: string) => s.trim().split("\n").filter(Boolean);

beforeAll(() => {
  k = makeInstance("keyfile");
  p = makeInstance("passphrase");
});
afterAll(() => { removeDir(k.dir); removeDir(p.dir); });

describe("schema", () => {
  test("a missing database is reported; migrate creates it; verify says current", async () => {
    const missing = await db(["account", "list"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("does not exist");
    expect((await db(["schema", "verify"])).code).toBe(1);
    const m = await db(["schema", "migrate"]);
    expect(m.code).toBe(0);
    expect(m.stdout).toContain("applied");
    expect((await db(["schema", "migrate"])).stdout).toContain("already current");
    const v = await db(["schema", "verify"]);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain("current");
  });

  test("force: a version this binary does not know is refused; 0 makes migrations pending; back to the latest", async () => {
    for (const bad of ["99", "abc", "-1"]) expect((await db(["schema", "force", "--version", bad])).code).toBe(2);
    expect((await db(["schema", "verify"])).code).toBe(0);
    expect((await db(["schema", "force", "--version", "0"])).code).toBe(0);
    const v = await db(["schema", "verify"]);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain("pending");
    const blocked = await db(["account", "list"]);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain("schema migrate");
    expect((await db(["schema", "force", "--version", String(LATEST_VERSION)])).code).toBe(0);
    expect((await db(["schema", "verify"])).code).toBe(0);
  });

  test("a schema newer than the binary: every command refuses with a clear message", async () => {
    sql(k.db, (d) => d.run("INSERT INTO schema_version (version, applied_at) VALUES (99, '2030-01-01T00:00:00Z')"));
    for (const args of [["schema", "verify"], ["schema", "migrate"], ["account", "list"], ["audit", "tail"]]) {
      const r = await db(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("newer than this binary");
    }
    sql(k.db, (d) => d.run("DELETE FROM schema_version WHERE version = 99"));
    expect((await db(["schema", "verify"])).code).toBe(0);
  });
});

describe("config errors", () => {
  test("missing, unreadable or invalid config: one line, non-zero exit", async () => {
    const none = await runMcias(["db", "account", "list", "--config", join(k.dir, "nope.toml")]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("config error");
    const empty = mkdtempSync(join(tmpdir(), "mcias-db-empty-"));
    const noFlag = await runMcias(["db", "account", "list"], { cwd: empty, env: { MCIAS_CONFIG: "", MCIAS_HOME: join(empty, "home") } });
    expect(noFlag.code).toBe(2);
    expect(noFlag.stderr).toContain("no config");
    const bad = join(empty, "bad.toml");
    writeFileSync(bad, "[database]\npath = 3\n");
    const invalid = await runMcias(["db", "account", "list", "--config", bad]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr.trim().split("\n").length).toBe(1);
    removeDir(empty);
  });
});

describe("accounts", () => {
  test("create, get, list; bad input and unknown names change nothing", async () => {
    const c = await db(["account", "create", "--username", "olive"], { stdin: "olive-password-123\n" });
    expect(c.code).toBe(0);
    // Labelled like ctl (SPEC §17): `id: …`, `username: …`.
    const id = /^id:\s+(\S+)$/m.exec(c.stdout)?.[1] ?? "";
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.stdout).toMatch(/^username:\s+olive$/m);
    expect((await db(["account", "create", "--username", "svc-a", "--type", "system"])).code).toBe(0);
    expect(await Bun.password.verify("olive-password-123", hashOf("olive")!)).toBe(true);

    const byId = JSON.parse((await db(["account", "get", "--id", id])).stdout);
    const byName = JSON.parse((await db(["account", "get", "--username", "OLIVE"])).stdout);
    expect(byId).toEqual(byName);
    expect(Object.keys(byId).sort()).toEqual(["account_type", "created_at", "display_name", "email", "id", "roles", "status", "tags", "totp_enabled", "updated_at", "username"]);

    const before = auditCount();
    const listBefore = (await db(["account", "list"])).stdout;
    expect((await db(["account", "create", "--username", "Bad Name"], { stdin: "whatever-password-1\n" })).code).toBe(1);
    expect((await db(["account", "create", "--username", "olive"], { stdin: "olive-password-123\n" })).code).toBe(1);
    expect((await db(["account", "create", "--username", "short"], { stdin: "short\n" })).code).toBe(1);
    const noStdin = await db(["account", "create", "--username", "nostdin"]);
    expect(noStdin.code).toBe(1);
    expect(noStdin.stderr).toContain("standard input");
    expect((await db(["account", "create", "--username", "x", "--type", "robot"])).code).toBe(2);
    expect((await db(["account", "list"])).stdout).toBe(listBefore);

    const unknown = await db(["account", "get", "--id", crypto.randomUUID()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no such account");
    expect((await db(["account", "get"])).code).toBe(2);
    expect((await db(["account", "get", "--id", id, "--username", "olive"])).code).toBe(2);
    expect((await db(["account", "get", "--id", id, "--bogus", "1"])).code).toBe(2);
    expect((await db(["account", "set-status", "--id", crypto.randomUUID(), "--status", "inactive"])).code).toBe(1);
    expect(auditCount()).toBe(before);
  });

  test("set-password: too short or for a system account is refused (hash unchanged); a good one is set", async () => {
    const h0 = hashOf("olive");
    const short = await db(["account", "set-password", "--username", "olive"], { stdin: "tiny\n" });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("bad_request");
    expect((await db(["account", "set-password", "--username", "olive"], { stdin: "olive\n" })).code).toBe(1);
    expect((await db(["account", "set-password", "--username", "svc-a"], { stdin: "system-password-1\n" })).code).toBe(1);
    expect(hashOf("olive")).toBe(h0);
    expect((await db(["account", "set-password", "--username", "olive"], { stdin: "olive-new-password-1\n" })).code).toBe(0);
    expect(await Bun.password.verify("olive-new-password-1", hashOf("olive")!)).toBe(true);
  });

  test("--help lists every subcommand", async () => {
    const top = await runMcias(["db", "--help"]);
    expect(top.code).toBe(0);
    for (const c of ["schema", "account", "role", "token", "prune", "audit", "pgcreds", "backup", "rekey"]) expect(top.stdout).toContain(c);
    const acc = await runMcias(["db", "account", "--help"]);
    for (const c of ["list", "get", "create", "set-password", "set-status", "reset-totp", "recover"]) expect(acc.stdout).toContain(c);
  });
});

describe("prune tokens", () => {
  test("deletes only expired rows, audited once; a second run deletes nothing and writes no row", async () => {
    const id = JSON.parse((await db(["account", "get", "--username", "olive"])).stdout).id;
    const past = new Date(Date.now() - 3_600_000).toISOString();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    sql(k.db, (d) => {
      d.run("INSERT INTO tokens (jti, account_id, kind, issued_at, expires_at) VALUES (?, ?, 'session', ?, ?)", ["expired-1", id, past, past]);
      d.run("INSERT INTO tokens (jti, account_id, kind, issued_at, expires_at) VALUES (?, ?, 'session', ?, ?)", ["live-1", id, past, future]);
    });
    const r = await db(["prune", "tokens"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("deleted 1");
    const left = lines((await db(["token", "list", "--id", id])).stdout).map((l) => l.split("\t")[0]);
    expect(left).toEqual(["live-1"]);
    const before = auditCount();
    expect((await db(["prune", "tokens"])).stdout).toContain("deleted 0");
    expect(auditCount()).toBe(before);
    const ev = lines((await db(["audit", "query", "--type", "tokens_pruned", "--json"])).stdout).map((l) => JSON.parse(l));
    expect(ev.length).toBe(1);
    expect(ev[0]).toMatchObject({ actor: "mcias-db", details: { deleted: 1 } });
  });
});

describe("audit", () => {
  test("tail --n N: the last N events, oldest first; every db write has actor mcias-db", async () => {
    const all = lines((await db(["audit", "query", "--json"])).stdout).map((l) => JSON.parse(l));
    expect(all.length).toBeGreaterThan(3);
    expect(all.every((e) => e.actor === "mcias-db")).toBe(true);
    const ids = all.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids); // chronological
    const tail = lines((await db(["audit", "tail", "--n", "2", "--json"])).stdout).map((l) => JSON.parse(l));
    expect(tail.map((e) => e.id)).toEqual(ids.slice(-2));
    const text = lines((await db(["audit", "tail", "--n", "2"])).stdout);
    expect(text.length).toBe(2);
    expect(text[1]!.split("\t")[1]).toBe(all[all.length - 1].type);
    expect((await db(["audit", "tail", "--n", "0"])).code).toBe(2);
  });

  test("query: filters combine with AND; --since takes a time or a duration; a bad type is refused", async () => {
    const olive = JSON.parse((await db(["account", "get", "--username", "olive"])).stdout).id;
    const q = async (args: string[]) => lines((await db(["audit", "query", "--json", ...args])).stdout).map((l) => JSON.parse(l));
    const forOlive = await q(["--account", "olive"]);
    expect(forOlive.length).toBeGreaterThan(1);
    expect(forOlive.every((e) => e.target_id === olive)).toBe(true);
    expect(await q(["--account", olive])).toEqual(forOlive);
    const created = await q(["--type", "account_created"]);
    expect(created.length).toBe(2); // olive and svc-a
    const both = await q(["--account", "olive", "--type", "account_created"]);
    expect(both.length).toBe(1);
    expect(both[0].target).toBe("olive");
    expect(await q(["--account", "olive", "--type", "tokens_pruned"])).toEqual([]);
    expect((await q(["--since", "1h"])).length).toBe((await q([])).length);
    expect(await q(["--since", new Date(Date.now() + 60_000).toISOString()])).toEqual([]);
    expect((await q(["--limit", "1"])).length).toBe(1);
    expect((await db(["audit", "query", "--type", "not_a_type"])).code).toBe(1);
    expect((await db(["audit", "query", "--since", "yesterday"])).code).toBe(2);
    expect((await db(["audit", "query", "--account", "nobody"])).code).toBe(1);
  });
});

describe("database locked by another writer", () => {
  test("a write waits for the busy timeout, then fails clearly with exit 1 and changes nothing", async () => {
    const holder = new Database(k.db);
    holder.run("PRAGMA busy_timeout = 0");
    holder.run("BEGIN IMMEDIATE");
    let r;
    try {
      r = await db(["role", "grant", "--username", "olive", "--role", "ops"]);
    } finally {
      holder.run("ROLLBACK");
      holder.close();
    }
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("locked");
    expect((await db(["role", "list", "--username", "olive"])).stdout.trim()).toBe("");
    // and once the lock is gone the same command works
    expect((await db(["role", "grant", "--username", "olive", "--role", "ops"])).stdout.trim()).toBe("ops");
  }, 20_000);
});

describe("pgcreds with a passphrase master key", () => {
  const env = { MCIAS_OFFLINE_PASS: PASS };
  test("set (password prompted) and get (warning on stderr, audited, no password in the audit row)", async () => {
    expect((await pdb(["schema", "migrate"])).code).toBe(0);
    expect((await pdb(["account", "create", "--username", "warehouse", "--type", "system"])).code).toBe(0);
    expect((await pdb(["account", "create", "--username", "hugo"], { stdin: "hugo-password-123\n" })).code).toBe(0);
    const set = await pdb(["pgcreds", "set", "--username", "warehouse", "--host", "pg.internal", "--port", "5433", "--db", "wh", "--user", "wh_app"], { stdin: "pg-secret-1\n", env });
    expect(set.code).toBe(0);
    expect(set.stdout).not.toContain("pg-secret-1");
    const get = await pdb(["pgcreds", "get", "--username", "warehouse"], { env });
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toEqual({ host: "pg.internal", port: 5433, database: "wh", username: "wh_app", password: "pg-secret-1" });
    expect(get.stderr).toContain("warning");
    // passphrase variable unset: the first stdin line is the passphrase
    const prompted = await pdb(["pgcreds", "get", "--username", "warehouse"], { stdin: `${PASS}\n` });
    expect(prompted.code).toBe(0);
    const rows = lines((await pdb(["audit", "query", "--account", "warehouse", "--json"])).stdout).map((l) => JSON.parse(l));
    expect(rows.map((e) => e.type)).toEqual(["account_created", "pgcred_updated", "pgcred_read", "pgcred_read"]);
    expect(rows.every((e) => e.actor === "mcias-db")).toBe(true);
    expect(JSON.stringify(rows)).not.toContain("pg-secret-1");
  });

  test("wrong passphrase, no passphrase, wrong account type, bad port, no credentials: refused, nothing changed", async () => {
    const before = sql(p.db, (d) => d.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM audit_log").get()!.n);
    const wrong = await pdb(["pgcreds", "get", "--username", "warehouse"], { env: { MCIAS_OFFLINE_PASS: "not the right passphrase" } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("does not match");
    expect(wrong.stdout).toBe("");
    const none = await pdb(["pgcreds", "get", "--username", "warehouse"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("standard input");
    const human = await pdb(["pgcreds", "set", "--username", "hugo", "--host", "h", "--db", "d", "--user", "u"], { stdin: "pw-123\n", env });
    expect(human.code).toBe(1);
    expect(human.stderr).toContain("bad_request");
    expect((await pdb(["pgcreds", "set", "--username", "warehouse", "--host", "h", "--port", "x", "--db", "d", "--user", "u"], { stdin: "pw\n", env })).code).toBe(2);
    expect((await pdb(["pgcreds", "set", "--username", "warehouse", "--host", "h", "--port", "70000", "--db", "d", "--user", "u"], { stdin: "pw\n", env })).code).toBe(1);
    expect((await pdb(["pgcreds", "set", "--username", "warehouse", "--host", "h", "--db", "d"], { stdin: "pw\n", env })).code).toBe(2);
    expect((await pdb(["account", "create", "--username", "empty", "--type", "system"])).code).toBe(0);
    const nocreds = await pdb(["pgcreds", "get", "--username", "empty"], { env });
    expect(nocreds.code).toBe(1);
    expect(nocreds.stderr).toContain("not_found");
    const after = sql(p.db, (d) => d.query<{ type: string }, [number]>("SELECT type FROM audit_log WHERE id > ?").all(before).map((r) => r.type));
    expect(after).toEqual(["account_created"]);
    expect(JSON.parse((await pdb(["pgcreds", "get", "--username", "warehouse"], { env })).stdout).host).toBe("pg.internal");
  }, 60_000); // eight `mcias db` processes, several with a 64 MiB Argon2id derivation: past 5 s on a loaded machine
});
