import type { Database } from "bun:sqlite";

export type AccountType = "human" | "system";
export type AccountStatus = "active" | "inactive" | "deleted";

export interface AccountRow {
  id: string;
  username: string;
  account_type: AccountType;
  status: AccountStatus;
  password_hash: string | null;
  totp_secret_enc: Uint8Array | null;
  totp_pending_enc: Uint8Array | null;
  totp_enabled: number;
  totp_last_step: number;
  failed_count: number;
  failed_window_start: string | null;
  locked_until: string | null;
  created_at: string;
  updated_at: string;
  email: string | null;
  display_name: string | null;
}

const COLS = `id, username, account_type, status, password_hash, totp_secret_enc, totp_pending_enc,
  totp_enabled, totp_last_step, failed_count, failed_window_start, locked_until, created_at, updated_at, email, display_name`;

export function createAccountRepo(db: Database) {
  const byId = db.query<AccountRow, [string]>(`SELECT ${COLS} FROM accounts WHERE id = ?`);
  const byName = db.query<AccountRow, [string]>(`SELECT ${COLS} FROM accounts WHERE username = ? COLLATE NOCASE`);
  const roles = db.query<{ role: string }, [string]>("SELECT role FROM account_roles WHERE account_id = ? ORDER BY role");
  const tags = db.query<{ tag: string }, [string]>("SELECT tag FROM account_tags WHERE account_id = ? ORDER BY tag");

  return {
    get: (id: string) => byId.get(id),
    getByUsername: (username: string) => byName.get(username),

    list(filter: { status?: AccountStatus; includeDeleted?: boolean; accountType?: AccountType } = {}): AccountRow[] {
      const where: string[] = [];
      const args: string[] = [];
      if (filter.status) { where.push("status = ?"); args.push(filter.status); }
      else if (!filter.includeDeleted) where.push("status != 'deleted'");
      if (filter.accountType) { where.push("account_type = ?"); args.push(filter.accountType); }
      const sql = `SELECT ${COLS} FROM accounts ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY username`;
      return db.query<AccountRow, string[]>(sql).all(...args);
    },

    count(filter: { status?: AccountStatus; accountType?: AccountType } = {}): number {
      const where: string[] = [];
      const args: string[] = [];
      if (filter.status) { where.push("status = ?"); args.push(filter.status); }
      if (filter.accountType) { where.push("account_type = ?"); args.push(filter.accountType); }
      const sql = `SELECT COUNT(*) AS n FROM accounts ${where.length ? "WHERE " + where.join(" AND ") : ""}`;
      return db.query<{ n: number }, string[]>(sql).get(...args)!.n;
    },

    insert(a: { id: string; username: string; account_type: AccountType; password_hash: string | null; now: string; email?: string | null; display_name?: string | null }): void {
      db.run(
        "INSERT INTO accounts (id, username, account_type, status, password_hash, created_at, updated_at, email, display_name) VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?)",
        [a.id, a.username, a.account_type, a.password_hash, a.now, a.now, a.email ?? null, a.display_name ?? null],
      );
    },

    /** The account holding an email address (case-insensitive), if any. */
    getByEmail: (email: string) => db.query<AccountRow, [string]>(`SELECT ${COLS} FROM accounts WHERE email = ? COLLATE NOCASE`).get(email),

    setProfile(id: string, p: { email: string | null; display_name: string | null }, now: string): void {
      db.run("UPDATE accounts SET email = ?, display_name = ?, updated_at = ? WHERE id = ?", [p.email, p.display_name, now, id]);
    },

    setStatus(id: string, status: AccountStatus, now: string): void {
      db.run("UPDATE accounts SET status = ?, updated_at = ? WHERE id = ?", [status, now, id]);
    },

    setPasswordHash(id: string, hash: string, now: string): void {
      db.run("UPDATE accounts SET password_hash = ?, updated_at = ? WHERE id = ?", [hash, now, id]);
    },

    setTotpPending(id: string, enc: Uint8Array | null, now: string): void {
      db.run("UPDATE accounts SET totp_pending_enc = ?, updated_at = ? WHERE id = ?", [enc, now, id]);
    },

    /** Moves the pending secret to the active one and records the step used to confirm it. */
    confirmTotp(id: string, enc: Uint8Array, step: number, now: string): void {
      db.run(
        "UPDATE accounts SET totp_secret_enc = ?, totp_pending_enc = NULL, totp_enabled = 1, totp_last_step = ?, updated_at = ? WHERE id = ?",
        [enc, step, now, id],
      );
    },

    clearTotp(id: string, now: string): void {
      db.run(
        "UPDATE accounts SET totp_secret_enc = NULL, totp_pending_enc = NULL, totp_enabled = 0, totp_last_step = 0, updated_at = ? WHERE id = ?",
        [now, id],
      );
    },

    /** Atomically claims a TOTP step; false when that step (or a later one) was already used. */
    claimTotpStep(id: string, step: number): boolean {
      const r = db.run("UPDATE accounts SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", [step, id, step]);
      return r.changes === 1;
    },

    setLockoutState(id: string, s: { failed_count: number; failed_window_start: string | null; locked_until: string | null }): void {
      db.run(
        "UPDATE accounts SET failed_count = ?, failed_window_start = ?, locked_until = ? WHERE id = ?",
        [s.failed_count, s.failed_window_start, s.locked_until, id],
      );
    },

    roles: (id: string) => roles.all(id).map((r) => r.role),
    tags: (id: string) => tags.all(id).map((r) => r.tag),

    addRole(id: string, role: string, now: string): boolean {
      return db.run("INSERT OR IGNORE INTO account_roles (account_id, role, granted_at) VALUES (?, ?, ?)", [id, role, now]).changes === 1;
    },
    removeRole(id: string, role: string): boolean {
      return db.run("DELETE FROM account_roles WHERE account_id = ? AND role = ?", [id, role]).changes === 1;
    },
    setTags(id: string, list: string[]): void {
      db.run("DELETE FROM account_tags WHERE account_id = ?", [id]);
      for (const t of list) db.run("INSERT OR IGNORE INTO account_tags (account_id, tag) VALUES (?, ?)", [id, t]);
    },
    /** Accounts (ids) holding a role; used for "role named like the service". */
    idsWithRole: (role: string) =>
      db.query<{ account_id: string }, [string]>("SELECT account_id FROM account_roles WHERE role = ?").all(role).map((r) => r.account_id),
    touch(id: string, now: string): void {
      db.run("UPDATE accounts SET updated_at = ? WHERE id = ?", [now, id]);
    },
  };
}

export type AccountRepo = ReturnType<typeof createAccountRepo>;
