import type { Database } from "bun:sqlite";

export interface GrantRow { account_id: string; grantee_id: string; granted_at: string; granted_by: string | null }

/**
 * Two grant tables share one shape: service_account_delegates (who may manage a
 * system account's token) and pg_credential_access (who may read credential metadata).
 */
function createGrantRepo(db: Database, table: "service_account_delegates" | "pg_credential_access") {
  const COLS = "account_id, grantee_id, granted_at, granted_by";
  return {
    list: (accountId: string) =>
      db.query<GrantRow, [string]>(`SELECT ${COLS} FROM ${table} WHERE account_id = ? ORDER BY granted_at, grantee_id`).all(accountId),
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
