import type { Database } from "bun:sqlite";

export interface GrantRow { account_id: string; grantee_id: string; granted_at: string; granted_by: string | null }

/**
 * Two grant tables share one shape: service_account_delegates (who may manage a
 * system account's token) and pg_credential_access (who may read credential metadata).
 */
function createGrantRepo(db: Database, table: "service_account_delegates" | "pg_credential_access") {
  const COLS = "account_id, grantee_id, granted_at, granted_by";
  const G_COLS = "g.account_id, g.grantee_id, g.granted_at, g.granted_by";
  return {
    /** The grants on an account; a deleted grantee's rows are not grants any more (issue 13). */
    list: (accountId: string) =>
      db.query<GrantRow, [string]>(
        `SELECT ${G_COLS} FROM ${table} g JOIN accounts a ON a.id = g.grantee_id
         WHERE g.account_id = ? AND a.status != 'deleted' ORDER BY g.granted_at, g.grantee_id`,
      ).all(accountId),
    /** Removes every grant held by `granteeId`; returns the accounts they were on. */
    revokeAllForGrantee(granteeId: string): string[] {
      const on = db.query<{ account_id: string }, [string]>(`SELECT account_id FROM ${table} WHERE grantee_id = ? ORDER BY account_id`).all(granteeId);
      db.run(`DELETE FROM ${table} WHERE grantee_id = ?`, [granteeId]);
      return on.map((r) => r.account_id);
    },
    listForGrantee: (granteeId: string) =>
      db.query<GrantRow, [string]>(`SELECT ${COLS} FROM ${table} WHERE grantee_id = ? ORDER BY account_id`).all(granteeId),
    has: (accountId: string, granteeId: string) =>
      db.query<{ n: number }, [string, string]>(`SELECT COUNT(*) AS n FROM ${table} WHERE account_id = ? AND grantee_id = ?`).get(accountId, granteeId)!.n > 0,
    grant(accountId: string, granteeId: string, now: string, by: string | null): boolean {
      return db.run(`INSERT OR IGNORE INTO ${table} (${COLS}) VALUES (?, ?, ?, ?)`, [accountId, granteeId, now, by]).changes === 1;
    },
    revoke(accountId: string, granteeId: string): boolean {
      return db.run(`DELETE FROM ${table} WHERE account_id = ? AND grantee_id = ?`, [accountId, granteeId]).changes === 1;
    },
  };
}

export const createDelegateRepo = (db: Database) => createGrantRepo(db, "service_account_delegates");
export const createPgAccessRepo = (db: Database) => createGrantRepo(db, "pg_credential_access");
export type GrantRepo = ReturnType<typeof createGrantRepo>;
