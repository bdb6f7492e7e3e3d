/**
 * `mcias db backup` (SPEC §10) while a real server is writing, and the runbook's
 * restore: stop, move the database (and its -wal/-shm) aside, put the copy in place,
 * `schema verify`, start, log in.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_PASSWORD, createHuman, removeDir, startServer, type TestServer } from "../helpers/server";

let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startServer();
  admin = await s.adminToken();
});
afterAll(async () => { await s.stop(); removeDir(s.dir); });

function accountNames(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.query<{ username: string }, []>("SELECT username FROM accounts ORDER BY username").all().map((r) => r.username);
  } finally {
    db.close();
  }
}

describe("backup during write load, then restore", () => {
  const out = () => join(s.dir, "backups", "mcias-backup.db");

  test("a consistent copy is taken while the server writes; it passes integrity_check; it is 0600", async () => {
    mkdirSync(join(s.dir, "backups"), { mode: 0o700 });
    await createHuman(s, "before-backup");
    let stop = false;
    let made = 0;
    let failed = 0;
    // Write load: account creations (each its own transaction with audit rows) and failed
    // logins (lockout counters + audit rows) — against a spare account, never admin, which
    // would lock admin out of the copy once the loop runs ten times.
    await createHuman(s, "spare-target");
    const load = (async () => {
      while (!stop) {
        const r = await s.call("POST", "/v1/accounts", { token: admin, json: { username: `load${made + failed}`, account_type: "system" } });
        if (r.status === 201) made++; else failed++;
        await s.call("POST", "/v1/auth/login", { json: { username: "spare-target", password: "wrong-password-xyz" } });
      }
    })();
    while (made < 5) await Bun.sleep(20);
    const atStart = made;
    const b = await s.mcias(["db", "backup", "--out", out()]);
    const atEnd = made;
    stop = true;
    await load;
    expect(b.code).toBe(0);
    expect(b.stdout).toContain("integrity ok");
    expect(failed).toBe(0); // the server never failed a write because of the backup
    expect(atEnd).toBeGreaterThan(atStart); // writes really happened during the copy

    expect(statSync(out()).mode & 0o777).toBe(0o600);
    const copy = new Database(out(), { readonly: true });
    expect(copy.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    copy.close();
    const names = accountNames(out());
    expect(names).toContain("before-backup");
    const loadInCopy = names.filter((n) => n.startsWith("load")).length;
    expect(loadInCopy).toBeGreaterThanOrEqual(atStart);
    expect(loadInCopy).toBeLessThanOrEqual(made);

    const rows = await s.mcias(["db", "audit", "query", "--type", "backup_created", "--json"]);
    const ev = JSON.parse(rows.stdout.trim());
    expect(ev.actor).toBe("mcias-db");
    expect(ev.details.path).toBe(out());
  });

  test("never overwrites an existing file (the file is left as it was)", async () => {
    const before = readFileSync(out());
    const again = await s.mcias(["db", "backup", "--out", out()]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
    expect(readFileSync(out()).equals(before)).toBe(true);

    const other = join(s.dir, "backups", "not-mine.txt");
    writeFileSync(other, "keep me");
    expect((await s.mcias(["db", "backup", "--out", other])).code).toBe(1);
    expect(readFileSync(other, "utf8")).toBe("keep me");
    // a directory that does not exist: clear error, nothing created
    const missing = join(s.dir, "no-such-dir", "x.db");
    expect((await s.mcias(["db", "backup", "--out", missing])).code).toBe(1);
    expect(existsSync(missing)).toBe(false);
    expect((await s.mcias(["db", "backup"])).code).toBe(2);
  });

  test("runbook restore: replace the database file (and drop -wal/-shm), verify, start, log in", async () => {
    await createHuman(s, "after-backup");
    expect(await s.stop()).toBe(0);
    const db = join(s.dir, "mcias.db");
    const aside = join(s.dir, "broken");
    mkdirSync(aside);
    for (const f of ["mcias.db", "mcias.db-wal", "mcias.db-shm"]) {
      if (existsSync(join(s.dir, f))) renameSync(join(s.dir, f), join(aside, f));
    }
    copyFileSync(out(), db);
    const v = await s.mcias(["db", "schema", "verify"]);
    expect(v.code).toBe(0);

    s = await startServer({ dir: s.dir });
    const tok = await s.login("admin", ADMIN_PASSWORD);
    const list = await s.call("GET", "/v1/accounts", { token: tok });
    expect(list.status).toBe(200);
    const names = (list.body as { username: string }[]).map((a) => a.username);
    expect(names).toContain("before-backup");
    expect(names).not.toContain("after-backup"); // made after the copy: gone with the restore
    // the signing key came back too: tokens issued before the backup still verify
    expect((await s.call("GET", "/v1/auth/me", { token: admin })).status).toBe(200);
  });
});
