/**
 * Short-lived single-use entries (migration 0005): WebAuthn challenges and one-time
 * token downloads, kept where every serving thread and process sees them. Rows are
 * keyed by (kind, SHA-256 of the lookup value); the caller hashes and, for secrets,
 * seals. Parameterized SQL only.
 */
import type { Database } from "bun:sqlite";

export interface PendingRow {
  kind: string;
  key_hash: string;
  account_id: string | null;
  payload: Uint8Array;
  created_at: number;
  expires_at: number;
}

const COLS = "kind, key_hash, account_id, payload, created_at, expires_at";

export function createPendingRepo(db: Database) {
  const insert = db.query(`INSERT INTO pending_entries (${COLS}) VALUES (?, ?, ?, ?, ?, ?)`);
  const count = db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM pending_entries WHERE kind = ?");
  const dropExpired = db.query("DELETE FROM pending_entries WHERE kind = ? AND expires_at <= ?");
  const dropOldest = db.query(`DELETE FROM pending_entries WHERE kind = ?1 AND key_hash IN
    (SELECT key_hash FROM pending_entries WHERE kind = ?1 ORDER BY expires_at LIMIT ?2)`);
  const take = db.query<PendingRow, [string, string]>(
    `DELETE FROM pending_entries WHERE kind = ? AND key_hash = ? RETURNING ${COLS}`);
  const takeFor = db.query<PendingRow, [string, string, string]>(
    `DELETE FROM pending_entries WHERE kind = ? AND key_hash = ? AND account_id = ? RETURNING ${COLS}`);
  return {
    /**
     * Adds an entry; first drops the kind's expired entries and, when `max` are still
     * held, the ones closest to expiry, so the table stays bounded. Run it in a transaction.
     */
    put(r: PendingRow, max: number): void {
      dropExpired.run(r.kind, r.created_at);
      const n = count.get(r.kind)!.n;
      if (n >= max) dropOldest.run(r.kind, n - max + 1);
      insert.run(r.kind, r.key_hash, r.account_id, r.payload, r.created_at, r.expires_at);
    },
    /** Deletes and returns the entry (expired or not: the caller refuses an expired one); null when absent. */
    take: (kind: string, keyHash: string): PendingRow | null => take.get(kind, keyHash) ?? null,
    /** As take, but only the entry held for `accountId`; another account's stays where it is. */
    takeFor: (kind: string, keyHash: string, accountId: string): PendingRow | null => takeFor.get(kind, keyHash, accountId) ?? null,
    /** Deletes every entry of a kind (e.g. sealed ones when the master key changes); returns how many. */
    clearKind: (kind: string): number => db.run("DELETE FROM pending_entries WHERE kind = ?", [kind]).changes,
    /** Deletes every expired entry of every kind; returns how many. */
    pruneExpired: (nowMs: number): number => db.run("DELETE FROM pending_entries WHERE expires_at <= ?", [nowMs]).changes,
  };
}

export type PendingRepo = ReturnType<typeof createPendingRepo>;
