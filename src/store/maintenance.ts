/**
 * Whole-database operations for `mcias db` (SPEC §10): the encrypted columns a rekey
 * must move, the online backup copy, and integrity checks. Parameterized SQL only.
 */
import { Database } from "bun:sqlite";
import { closeSync, fsyncSync, openSync, rmSync, statSync } from "node:fs";

export class BackupError extends Error {}

export interface TotpBlobRow { id: string; totp_secret_enc: Uint8Array | null; totp_pending_enc: Uint8Array | null }

export function createMaintenanceRepo(db: Database) {
  return {
    /** Accounts holding any TOTP ciphertext (confirmed or pending). */
    totpBlobs: () =>
      db.query<TotpBlobRow, []>(
        "SELECT id, totp_secret_enc, totp_pending_enc FROM accounts WHERE totp_secret_enc IS NOT NULL OR totp_pending_enc IS NOT NULL ORDER BY id",
      ).all(),

    /** Replaces both TOTP ciphertexts of an account without touching anything else (rekey). */
    setTotpBlobs(id: string, secret: Uint8Array | null, pending: Uint8Array | null): void {
      db.run("UPDATE accounts SET totp_secret_enc = ?, totp_pending_enc = ? WHERE id = ?", [secret, pending, id]);
    },

    /**
     * Bulk-delete mode of this connection (the batched prune): a commit does not wait for
     * fsync (synchronous=NORMAL: in WAL mode a crash can roll back only the latest
     * commits, never corrupt the file) and does not checkpoint; the caller calls
     * checkpoint() after each batch, when the write lock is already free. So a batch
     * holds the lock only while it changes pages. Returns the function that puts both
     * settings back (call it before a commit that must be on disk).
     */
    bulkDeleteMode(): () => void {
      const sync = db.query<{ synchronous: number }, []>("PRAGMA synchronous").get()!.synchronous;
      const auto = db.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint").get()!.wal_autocheckpoint;
      db.run("PRAGMA synchronous = NORMAL");
      db.run("PRAGMA wal_autocheckpoint = 0");
      return () => {
        db.run(`PRAGMA synchronous = ${Number(sync)}`);
        db.run(`PRAGMA wal_autocheckpoint = ${Number(auto)}`);
      };
    },

    /** Copies committed WAL frames into the database file; PASSIVE: never waits for or blocks a writer. */
    checkpoint(): void {
      db.run("PRAGMA wal_checkpoint(PASSIVE)");
    },

    /** A keyfile master key has no KDF: drop a passphrase's salt and parameters. */
    clearKdf(now: string): void {
      db.run("UPDATE server_config SET kdf_salt = NULL, kdf_params = NULL, updated_at = ? WHERE id = 1", [now]);
    },

    /**
     * A consistent copy of the whole database at one instant (VACUUM INTO runs in a
     * read transaction, so a running server keeps writing meanwhile). Refuses an
     * existing file; the copy is created 0600 (it holds password hashes and
     * ciphertexts), flushed to disk (VACUUM INTO does not fsync) and checked with
     * `PRAGMA integrity_check`. On any failure the partial copy is removed.
     */
    backupTo(path: string): { bytes: number } {
      // O_EXCL: an existing file (or a symlink planted there) is never overwritten.
      let fd: number;
      try {
        fd = openSync(path, "wx", 0o600);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new BackupError(code === "EEXIST" ? `${path} already exists; choose a new file` : `cannot create ${path} (${code ?? "error"})`);
      }
      closeSync(fd);
      try {
        db.run("VACUUM INTO ?", [path]);
        const f = openSync(path, "r+");
        try { fsyncSync(f); } finally { closeSync(f); }
        const problems = integrityProblems(path);
        if (problems.length) throw new BackupError(`the copy failed its integrity check: ${problems.slice(0, 3).join("; ")}`);
        return { bytes: statSync(path).size };
      } catch (e) {
        rmSync(path, { force: true });
        throw e;
      }
    },
  };
}

export class DatabaseInUseError extends Error {
  constructor() { super("the database is in use by another process (is the server running?)"); }
}

/**
 * Opens the database holding an exclusive lock for as long as it stays open: nothing
 * else (no server, no second `mcias db`) can read or write it meanwhile. Used by
 * rekey, since a running server keeps encrypting with the key it holds in memory.
 * Throws DatabaseInUseError when another connection has it open.
 */
export function openDatabaseExclusive(path: string): Database {
  const db = new Database(path, { create: false, strict: true });
  try {
    // Must come before the first access: the lock is then kept until close.
    db.run("PRAGMA locking_mode = EXCLUSIVE");
    db.run("PRAGMA busy_timeout = 1000");
    db.run("PRAGMA synchronous = FULL");
    db.run("PRAGMA foreign_keys = ON");
    db.run("BEGIN EXCLUSIVE");
    db.run("COMMIT");
  } catch (e) {
    db.close();
    if (/locked|busy/i.test((e as Error).message)) throw new DatabaseInUseError();
    throw e;
  }
  return db;
}

/** Runs `PRAGMA integrity_check` on another database file (read-only); returns the problems, [] when sound. */
export function integrityProblems(path: string): string[] {
  const copy = new Database(path, { readonly: true });
  try {
    const rows = copy.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all();
    const fk = copy.query<Record<string, unknown>, []>("PRAGMA foreign_key_check").all();
    const problems = rows.map((r) => r.integrity_check).filter((m) => m !== "ok");
    if (fk.length) problems.push(`${fk.length} foreign key violation(s)`);
    return problems;
  } finally {
    copy.close();
  }
}

export type MaintenanceRepo = ReturnType<typeof createMaintenanceRepo>;
