import type { Database } from "bun:sqlite";

export interface TokenRow {
  jti: string;
  account_id: string;
  kind: "session" | "service";
  issued_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoke_reason: string | null;
}

const COLS = "jti, account_id, kind, issued_at, expires_at, revoked_at, revoke_reason";

export function createTokenRepo(db: Database) {
  const byJti = db.query<TokenRow, [string]>(`SELECT ${COLS} FROM tokens WHERE jti = ?`);
  const pruneBatch = db.query<never, [string, number]>(
    "DELETE FROM tokens WHERE rowid IN (SELECT rowid FROM tokens WHERE expires_at < ? LIMIT ?)",
  );
  return {
    get: (jti: string) => byJti.get(jti),
    insert(t: Omit<TokenRow, "revoked_at" | "revoke_reason">): void {
      db.run("INSERT INTO tokens (jti, account_id, kind, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        [t.jti, t.account_id, t.kind, t.issued_at, t.expires_at]);
    },
    /** Returns true when the token was live and is now revoked. */
    revoke(jti: string, now: string, reason: string): boolean {
      return db.run("UPDATE tokens SET revoked_at = ?, revoke_reason = ? WHERE jti = ? AND revoked_at IS NULL",
        [now, reason, jti]).changes === 1;
    },
    /** Revokes every unrevoked token of an account (optionally but one); returns the revoked jtis. */
    revokeAllFor(accountId: string, now: string, reason: string, exceptJti?: string): string[] {
      const live = db.query<{ jti: string }, [string, string]>(
        "SELECT jti FROM tokens WHERE account_id = ? AND revoked_at IS NULL AND jti != ?",
      ).all(accountId, exceptJti ?? "");
      db.run("UPDATE tokens SET revoked_at = ?, revoke_reason = ? WHERE account_id = ? AND revoked_at IS NULL AND jti != ?",
        [now, reason, accountId, exceptJti ?? ""]);
      // The account's OpenID Connect sessions, grants, codes and refresh tokens end with its
      // MCIAS tokens (SPEC §16), on every path that revokes them (server and mcias db alike).
      db.run("DELETE FROM oidc_payloads WHERE account_id = ?", [accountId]);
      return live.map((r) => r.jti);
    },
    listFor: (accountId: string) =>
      db.query<TokenRow, [string]>(`SELECT ${COLS} FROM tokens WHERE account_id = ? ORDER BY issued_at DESC, jti`).all(accountId),
    /**
     * Deletes at most `limit` rows that expired before `cutoff` (found through the
     * tokens_by_expiry index); returns how many. One bounded batch: the caller runs each
     * in its own short transaction so other writers get the lock in between.
     */
    pruneExpiredBatch(cutoff: string, limit: number): number {
      return pruneBatch.run(cutoff, limit).changes;
    },
  };
}

export type TokenRepo = ReturnType<typeof createTokenRepo>;
