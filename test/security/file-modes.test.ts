/**
 * Threat: local users reading the database file. Review finding: the SQLite file was
 * created with the process umask (0644 under the
 * usual 022), so in a directory others can traverse (a container volume, a hand-made
 * /srv/mcias) every local user could read the password hashes and sealed secrets, and
 * SQLite gives the -wal/-shm files the database's mode. A new database file must be
 * owner-only whatever the umask.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { type TestServer, useServer } from "../helpers/server";

let s: TestServer;
let umask = 0;
// Registered before useServer's hook, so the server starts under this umask.
beforeAll(() => { umask = process.umask(0o022); }); // the usual default; spawned mcias processes inherit it
useServer((x) => { s = x; });
afterAll(() => { process.umask(umask); });

test("a database created under umask 022 is 0600, and so are its WAL and SHM files", async () => {
  await s.adminToken(); // the server has written: WAL and SHM exist
  for (const f of ["mcias.db", "mcias.db-wal", "mcias.db-shm"]) {
    const p = join(s.dir, f);
    if (f !== "mcias.db" && !existsSync(p)) continue;
    expect({ f, mode: (statSync(p).mode & 0o777).toString(8) }).toEqual({ f, mode: "600" });
  }
}, 60_000);
