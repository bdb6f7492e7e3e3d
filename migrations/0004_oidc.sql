-- Issue 19: the OpenID Connect provider (SPEC §16).

-- Relying parties registered by an admin. The secret (confidential clients) is sealed
-- with AES-256-GCM under the master key (aad "oidc-client:<id>"): oidc-provider needs the
-- plaintext to compare, so it cannot be a one-way hash; it is shown once at creation.
CREATE TABLE oidc_clients (
  id                         TEXT PRIMARY KEY,
  name                       TEXT NOT NULL,
  secret_enc                 BLOB,
  public                     INTEGER NOT NULL CHECK (public IN (0,1)),
  redirect_uris              TEXT NOT NULL,          -- JSON array
  post_logout_redirect_uris  TEXT NOT NULL,          -- JSON array
  allowed_roles              TEXT NOT NULL,          -- JSON array; empty = any active human
  id_token_alg               TEXT NOT NULL CHECK (id_token_alg IN ('EdDSA','RS256','ES256')),
  created_at                 TEXT NOT NULL,
  updated_at                 TEXT NOT NULL,
  CHECK ((public = 1) = (secret_enc IS NULL))
);

-- oidc-provider's storage (sessions, grants, codes, access and refresh tokens,
-- interactions). The key is SHA-256 of the model's id (an opaque token value is its
-- own id, so it is never stored in the clear); account_id lets the account's
-- sessions and grants be found and ended with its MCIAS tokens.
CREATE TABLE oidc_payloads (
  model        TEXT NOT NULL,
  id_hash      TEXT NOT NULL,
  payload      TEXT NOT NULL,
  grant_id     TEXT,
  uid          TEXT,
  user_code    TEXT,
  account_id   TEXT,
  client_id    TEXT,
  expires_at   INTEGER,          -- ms since epoch; NULL = never
  consumed_at  INTEGER,
  PRIMARY KEY (model, id_hash)
) WITHOUT ROWID;
CREATE INDEX oidc_payloads_by_grant ON oidc_payloads(grant_id);
CREATE INDEX oidc_payloads_by_uid ON oidc_payloads(uid);
CREATE INDEX oidc_payloads_by_account ON oidc_payloads(account_id);
CREATE INDEX oidc_payloads_by_expiry ON oidc_payloads(expires_at);

-- Signing keys (EdDSA made on first unseal; RS256/ES256 on first use by a client) and
-- the cookie-signing secret. Private parts sealed under the master key (aad "oidc-key:<kid>").
CREATE TABLE oidc_keys (
  kid          TEXT PRIMARY KEY,
  use          TEXT NOT NULL CHECK (use IN ('sig','cookie')),
  alg          TEXT NOT NULL,
  private_enc  BLOB NOT NULL,
  public_jwk   TEXT,
  created_at   TEXT NOT NULL
);
