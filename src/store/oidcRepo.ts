/** Persistence for the OIDC provider (migration 0004): clients, adapter payloads, keys. */
import type { Database } from "bun:sqlite";

export interface OidcClientRow {
  id: string;
  name: string;
  secret_enc: Uint8Array | null;
  public: number;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  allowed_roles: string;
  id_token_alg: "EdDSA" | "RS256" | "ES256";
  created_at: string;
  updated_at: string;
}

export interface OidcPayloadRow {
  model: string;
  id_hash: string;
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  account_id: string | null;
  client_id: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

export interface OidcKeyRow {
  kid: string;
  use: "sig" | "cookie";
  alg: string;
  private_enc: Uint8Array;
  public_jwk: string | null;
  created_at: string;
}

const CLIENT_COLS = "id, name, secret_enc, public, redirect_uris, post_logout_redirect_uris, allowed_roles, id_token_alg, created_at, updated_at";
const PAYLOAD_COLS = "model, id_hash, payload, grant_id, uid, user_code, account_id, client_id, expires_at, consumed_at";

export function createOidcRepo(db: Database) {
  const clientById = db.query<OidcClientRow, [string]>(`SELECT ${CLIENT_COLS} FROM oidc_clients WHERE id = ?`);
  const payloadByKey = db.query<OidcPayloadRow, [string, string]>(`SELECT ${PAYLOAD_COLS} FROM oidc_payloads WHERE model = ? AND id_hash = ?`);
  return {
    clients: {
      get: (id: string) => clientById.get(id) ?? null,
      list: () => db.query<OidcClientRow, []>(`SELECT ${CLIENT_COLS} FROM oidc_clients ORDER BY name, id`).all(),
      insert(r: OidcClientRow): void {
        db.run(`INSERT INTO oidc_clients (${CLIENT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
          r.id, r.name, r.secret_enc, r.public, r.redirect_uris, r.post_logout_redirect_uris, r.allowed_roles,
          r.id_token_alg, r.created_at, r.updated_at]);
      },
      update(r: OidcClientRow): void {
        db.run(`UPDATE oidc_clients SET name = ?, redirect_uris = ?, post_logout_redirect_uris = ?, allowed_roles = ?,
          id_token_alg = ?, updated_at = ? WHERE id = ?`, [
          r.name, r.redirect_uris, r.post_logout_redirect_uris, r.allowed_roles, r.id_token_alg, r.updated_at, r.id]);
      },
      setSecret(id: string, enc: Uint8Array): void {
        db.run("UPDATE oidc_clients SET secret_enc = ? WHERE id = ?", [enc, id]);
      },
      remove: (id: string) => db.run("DELETE FROM oidc_clients WHERE id = ?", [id]).changes === 1,
      secrets: () => db.query<{ id: string; secret_enc: Uint8Array }, []>(
        "SELECT id, secret_enc FROM oidc_clients WHERE secret_enc IS NOT NULL").all(),
    },
    payloads: {
      get: (model: string, idHash: string) => payloadByKey.get(model, idHash) ?? null,
      upsert(r: OidcPayloadRow): void {
        db.run(`INSERT OR REPLACE INTO oidc_payloads (${PAYLOAD_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
          r.model, r.id_hash, r.payload, r.grant_id, r.uid, r.user_code, r.account_id, r.client_id, r.expires_at, r.consumed_at]);
      },
      byUid: (model: string, uid: string) =>
        db.query<OidcPayloadRow, [string, string]>(`SELECT ${PAYLOAD_COLS} FROM oidc_payloads WHERE model = ? AND uid = ?`).get(model, uid) ?? null,
      byUserCode: (model: string, code: string) =>
        db.query<OidcPayloadRow, [string, string]>(`SELECT ${PAYLOAD_COLS} FROM oidc_payloads WHERE model = ? AND user_code = ?`).get(model, code) ?? null,
      consume: (model: string, idHash: string, at: number) =>
        db.run("UPDATE oidc_payloads SET consumed_at = ? WHERE model = ? AND id_hash = ?", [at, model, idHash]),
      destroyByUid: (model: string, uid: string) => db.run("DELETE FROM oidc_payloads WHERE model = ? AND uid = ?", [model, uid]),
      destroy: (model: string, idHash: string) => db.run("DELETE FROM oidc_payloads WHERE model = ? AND id_hash = ?", [model, idHash]),
      revokeByGrantId: (grantId: string) => db.run("DELETE FROM oidc_payloads WHERE grant_id = ?", [grantId]).changes,
      /** Ends every session, grant, code and token of an account. */
      removeAccount: (accountId: string) => db.run("DELETE FROM oidc_payloads WHERE account_id = ?", [accountId]).changes,
      removeClient: (clientId: string) => db.run("DELETE FROM oidc_payloads WHERE client_id = ?", [clientId]).changes,
      /** Grants of an account (one row per client authorization). */
      grantsOf: (accountId: string) => db.query<OidcPayloadRow, [string]>(
        `SELECT ${PAYLOAD_COLS} FROM oidc_payloads WHERE model = 'Grant' AND account_id = ? ORDER BY client_id`).all(accountId),
      /** Deletes at most `limit` rows expired before `nowMs` (oidc_payloads_by_expiry; the table has no rowid, so by key); returns how many. */
      pruneExpiredBatch: (nowMs: number, limit: number) => db.run(
        `DELETE FROM oidc_payloads WHERE (model, id_hash) IN
           (SELECT model, id_hash FROM oidc_payloads WHERE expires_at IS NOT NULL AND expires_at < ? LIMIT ?)`, [nowMs, limit]).changes,
    },
    keys: {
      list: () => db.query<OidcKeyRow, []>("SELECT kid, use, alg, private_enc, public_jwk, created_at FROM oidc_keys ORDER BY created_at, kid").all(),
      insert(r: OidcKeyRow): void {
        db.run("INSERT INTO oidc_keys (kid, use, alg, private_enc, public_jwk, created_at) VALUES (?, ?, ?, ?, ?, ?)",
          [r.kid, r.use, r.alg, r.private_enc, r.public_jwk, r.created_at]);
      },
      setPrivate: (kid: string, enc: Uint8Array) => db.run("UPDATE oidc_keys SET private_enc = ? WHERE kid = ?", [enc, kid]),
    },
  };
}

export type OidcRepo = ReturnType<typeof createOidcRepo>;
