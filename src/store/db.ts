import { Database } from "bun:sqlite";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

export const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens the SQLite file with the pragmas SPEC §12 requires: WAL, foreign keys,
 * busy timeout, synchronous=FULL (a 2xx answer means the row is on disk).
 */
export function openDatabase(path: string, opts: { create?: boolean } = {}): Database {
  if (opts.create !== false && path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fresh = opts.create !== false && path !== ":memory:" && !existsSync(path);
  const db = new Database(path, { create: opts.create !== false, strict: true });
  // A new file gets the process umask (often 0644) but holds password hashes and sealed
  // secrets: owner-only, before the WAL/SHM files (SQLite gives them the database's mode) exist.
  if (fresh) chmodSync(path, 0o600);
  db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = FULL");
  db.run("PRAGMA foreign_keys = ON");
  return db;
}
