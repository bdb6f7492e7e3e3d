/**
 * Repositories of SPEC §15 (migration 0002): invite links, WebAuthn credentials and
 * recovery codes. Only hashes of invite tokens and recovery codes are stored, and only
 * public keys of credentials. Parameterized SQL only.
 */
import type { Database } from "bun:sqlite";

export interface InviteRow {
  token_hash: string;
  account_id: string;
  created_at: string;
  expires_at: string;
  created_by: string | null;
  used_at: string | null;
  revoked_at: string | null;
}

const INVITE_COLS = "token_hash, account_id, created_at, expires_at, created_by, used_at, revoked_at";

export function createInviteRepo(db: Database) {
  return {
    get: (hash: string) => db.query<InviteRow, [string]>(`SELECT ${INVITE_COLS} FROM invites WHERE token_hash = ?`).get(hash),
    insert(r: Omit<InviteRow, "used_at" | "revoked_at">): void {
      db.run(`INSERT INTO invites (token_hash, account_id, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?)`,
        [r.token_hash, r.account_id, r.created_at, r.expires_at, r.created_by]);
    },
    /** Revokes every unused, unrevoked invite of an account; returns how many. */
    revokeLive(accountId: string, now: string): number {
      return db.run("UPDATE invites SET revoked_at = ? WHERE account_id = ? AND used_at IS NULL AND revoked_at IS NULL", [now, accountId]).changes;
    },
    /** Marks a live invite used; false when it was used, revoked or expired meanwhile. */
    consume(hash: string, now: string): boolean {
      return db.run("UPDATE invites SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
        [now, hash, now]).changes === 1;
    },
    listFor: (accountId: string) =>
      db.query<InviteRow, [string]>(`SELECT ${INVITE_COLS} FROM invites WHERE account_id = ? ORDER BY created_at DESC`).all(accountId),
  };
}

export interface WebauthnCredentialRow {
  id: string;
  account_id: string;
  credential_id: string;
  public_key: Uint8Array;
  sign_count: number;
  transports: string;
  name: string;
  aaguid: string | null;
  device_type: string | null;
  backed_up: number;
  created_at: string;
  last_used_at: string | null;
}

const CRED_COLS = "id, account_id, credential_id, public_key, sign_count, transports, name, aaguid, device_type, backed_up, created_at, last_used_at";

export function createWebauthnRepo(db: Database) {
  return {
    get: (id: string) => db.query<WebauthnCredentialRow, [string]>(`SELECT ${CRED_COLS} FROM webauthn_credentials WHERE id = ?`).get(id),
    byCredentialId: (credentialId: string) =>
      db.query<WebauthnCredentialRow, [string]>(`SELECT ${CRED_COLS} FROM webauthn_credentials WHERE credential_id = ?`).get(credentialId),
    listFor: (accountId: string) =>
      db.query<WebauthnCredentialRow, [string]>(`SELECT ${CRED_COLS} FROM webauthn_credentials WHERE account_id = ? ORDER BY created_at, id`).all(accountId),
    countFor: (accountId: string) =>
      db.query<{ n: number }, [string]>("SELECT COUNT(*) AS n FROM webauthn_credentials WHERE account_id = ?").get(accountId)!.n,
    insert(r: Omit<WebauthnCredentialRow, "last_used_at">): void {
      db.run(`INSERT INTO webauthn_credentials (id, account_id, credential_id, public_key, sign_count, transports, name, aaguid, device_type, backed_up, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [r.id, r.account_id, r.credential_id, r.public_key, r.sign_count, r.transports, r.name, r.aaguid, r.device_type, r.backed_up, r.created_at]);
    },
    /**
     * Records a use: the new counter must be above the stored one (or both 0, for
     * authenticators without a counter). False when a concurrent login got there first.
     */
    recordUse(id: string, oldCount: number, newCount: number, now: string): boolean {
      return db.run("UPDATE webauthn_credentials SET sign_count = ?, last_used_at = ? WHERE id = ? AND sign_count = ?",
        [newCount, now, id, oldCount]).changes === 1;
    },
    rename: (id: string, name: string) => db.run("UPDATE webauthn_credentials SET name = ? WHERE id = ?", [name, id]).changes === 1,
    delete: (id: string) => db.run("DELETE FROM webauthn_credentials WHERE id = ?", [id]).changes === 1,
  };
}

export function createRecoveryCodeRepo(db: Database) {
  return {
    /** Replaces the account's whole set (the old codes die). */
    replace(accountId: string, hashes: string[], now: string): void {
      db.run("DELETE FROM recovery_codes WHERE account_id = ?", [accountId]);
      for (const h of hashes) db.run("INSERT INTO recovery_codes (account_id, code_hash, created_at) VALUES (?, ?, ?)", [accountId, h, now]);
    },
    clear: (accountId: string) => db.run("DELETE FROM recovery_codes WHERE account_id = ?", [accountId]).changes,
    /** Atomically uses one code; false when unknown or already used. */
    consume(accountId: string, hash: string, now: string): boolean {
      return db.run("UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? AND used_at IS NULL", [now, accountId, hash]).changes === 1;
    },
    remaining: (accountId: string) =>
      db.query<{ n: number }, [string]>("SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = ? AND used_at IS NULL").get(accountId)!.n,
  };
}

export type InviteRepo = ReturnType<typeof createInviteRepo>;
export type WebauthnRepo = ReturnType<typeof createWebauthnRepo>;
export type RecoveryCodeRepo = ReturnType<typeof createRecoveryCodeRepo>;
