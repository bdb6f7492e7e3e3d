import type { Database } from "bun:sqlite";

export interface ServerConfigRow {
  kdf_salt: Uint8Array | null;
  kdf_params: string | null;
  key_check: Uint8Array | null;
  signing_key_enc: Uint8Array | null;
  signing_key_jwk: string | null;
}

export function createServerConfigRepo(db: Database) {
  const get = db.query<ServerConfigRow, []>(
    "SELECT kdf_salt, kdf_params, key_check, signing_key_enc, signing_key_jwk FROM server_config WHERE id = 1");
  return {
    get: () => get.get() ?? null,
    ensureRow(now: string): void {
      db.run("INSERT OR IGNORE INTO server_config (id, created_at, updated_at) VALUES (1, ?, ?)", [now, now]);
    },
    setKdf(salt: Uint8Array, params: string, now: string): void {
      db.run("UPDATE server_config SET kdf_salt = ?, kdf_params = ?, updated_at = ? WHERE id = 1", [salt, params, now]);
    },
    setKeyCheck(kcv: Uint8Array, now: string): void {
      db.run("UPDATE server_config SET key_check = ?, updated_at = ? WHERE id = 1", [kcv, now]);
    },
    setSigningKey(enc: Uint8Array, jwk: string, now: string): void {
      db.run("UPDATE server_config SET signing_key_enc = ?, signing_key_jwk = ?, updated_at = ? WHERE id = 1", [enc, jwk, now]);
    },
  };
}

export type ServerConfigRepo = ReturnType<typeof createServerConfigRepo>;
