import type { Database } from "bun:sqlite";

export interface PgCredRow {
  account_id: string;
  host: string;
  port: number;
  database: string;
  username: string;
  password_enc: Uint8Array;
  created_at: string;
  updated_at: string;
}

const COLS = "account_id, host, port, database, username, password_enc, created_at, updated_at";

export function createPgCredRepo(db: Database) {
  return {
    get: (accountId: string) => db.query<PgCredRow, [string]>(`SELECT ${COLS} FROM pg_credentials WHERE account_id = ?`).get(accountId),
    all: () => db.query<PgCredRow, []>(`SELECT ${COLS} FROM pg_credentials ORDER BY account_id`).all(),
    upsert(r: Omit<PgCredRow, "created_at" | "updated_at">, now: string): void {
      db.run(
        `INSERT INTO pg_credentials (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(account_id) DO UPDATE SET host = excluded.host, port = excluded.port, database = excluded.database,
           username = excluded.username, password_enc = excluded.password_enc, updated_at = excluded.updated_at`,
        [r.account_id, r.host, r.port, r.database, r.username, r.password_enc, now, now],
      );
    },
    setPasswordEnc(accountId: string, enc: Uint8Array): void {
      db.run("UPDATE pg_credentials SET password_enc = ? WHERE account_id = ?", [enc, accountId]);
    },
  };
}

export type PgCredRepo = ReturnType<typeof createPgCredRepo>;
