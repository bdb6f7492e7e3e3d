/**
 * store.generation(): moves with every commit by any connection and with this
 * connection's own writes (even rolled back); read from the WAL-index header without a
 * transaction when the database is a WAL file (issue 23), the PRAGMA otherwise.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate, openDatabase } from "../../src/store";
import { createGeneration } from "../../src/store/generation";

const dir = mkdtempSync(join(tmpdir(), "mcias-gen-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("store generation", () => {
  const path = join(dir, "g.db");
  const db = openDatabase(path);
  migrate(db);
  const gen = createGeneration(db);

  test("a WAL database is watched through its -shm header, not a transaction", () => {
    expect(gen().startsWith("w")).toBe(true);
  });

  test("watching the header never drops SQLite's own locks on the -shm file", () => {
    // SQLite holds a shared "dead man switch" lock on byte 128 of the -shm file while the
    // database is open; a process that can lock it exclusively believes nobody has the
    // database open and re-initialises the index under us (SIGBUS). Closing any
    // descriptor of the file would drop that lock for the whole process.
    for (let i = 0; i < 3; i++) gen();
    const script = [
      "import fcntl, os",
      `fd = os.open(${JSON.stringify(path + "-shm")}, os.O_RDWR)`,
      "try:",
      "    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)",
      "    print('free')",
      "except OSError:",
      "    print('held')",
    ].join("\n");
    const probe = Bun.spawnSync(["python3", "-c", script]);
    expect(probe.stdout.toString().trim()).toBe("held");
  });

  test("unchanged while nothing is written, by reads from anywhere", () => {
    const a = gen();
    db.query("SELECT count(*) FROM accounts").get();
    const other = new Database(path);
    other.query("SELECT count(*) FROM tokens").get();
    other.close();
    expect(gen()).toBe(a);
  });

  test("moves when another connection (another process's sqlite3, mcias db) commits", () => {
    const other = new Database(path);
    other.run("PRAGMA busy_timeout = 2000");
    other.run("CREATE TABLE IF NOT EXISTS other_scratch (x)");
    for (let i = 0; i < 3; i++) {
      const before = gen();
      other.run("INSERT INTO other_scratch VALUES (?)", [i]);
      expect(gen()).not.toBe(before);
      const mid = gen();
      other.run("UPDATE other_scratch SET x = x + 10 WHERE x = ?", [i]);
      expect(gen()).not.toBe(mid);
    }
    other.close();
  });

  test("moves on every commit of other processes that open, write and close (index recovered)", () => {
    db.run("CREATE TABLE IF NOT EXISTS proc_scratch (x)");
    for (let i = 0; i < 3; i++) {
      const before = gen();
      const p = Bun.spawnSync([process.execPath, "-e",
        `const { Database } = require("bun:sqlite"); const d = new Database(${JSON.stringify(path)}); d.run("PRAGMA busy_timeout = 5000"); d.run("INSERT INTO proc_scratch VALUES (${i})"); d.close();`]);
      expect(p.exitCode).toBe(0);
      expect(gen()).not.toBe(before);
      expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM proc_scratch").get()!.n).toBe(i + 1);
    }
  });

  test("moves after the WAL is checkpointed and restarted", () => {
    const other = new Database(path);
    other.run("PRAGMA wal_checkpoint(TRUNCATE)");
    const before = gen();
    other.run("INSERT INTO other_scratch VALUES ('after-restart')");
    expect(gen()).not.toBe(before);
    other.close();
  });

  test("moves with this connection's own writes, even when rolled back", () => {
    db.run("CREATE TABLE IF NOT EXISTS scratch (x)");
    const a = gen();
    db.run("INSERT INTO scratch VALUES (1)");
    const b = gen();
    expect(b).not.toBe(a);
    db.run("BEGIN");
    db.run("INSERT INTO scratch VALUES (2)");
    const c = gen();
    db.run("ROLLBACK");
    expect(c).not.toBe(b);
    expect(gen()).not.toBe(b);
  });

  test("an in-memory database falls back to the PRAGMA and still moves", () => {
    const mem = new Database(":memory:");
    const g = createGeneration(mem);
    const a = g();
    expect(a.startsWith("d")).toBe(true);
    mem.run("CREATE TABLE t (x)");
    mem.run("INSERT INTO t VALUES (1)");
    expect(g()).not.toBe(a);
    mem.close();
  });
});
