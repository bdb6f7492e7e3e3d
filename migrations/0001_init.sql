-- MCIAS schema v1. Times are RFC 3339 UTC strings (fixed width, so they sort as text).

CREATE TABLE server_config (
  id               INTEGER PRIMARY KEY CHECK (id = 1),
  kdf_salt         BLOB,            -- Argon2id salt for a passphrase master key
  kdf_params       TEXT,            -- JSON {memory,passes,parallelism}
  key_check        BLOB,            -- AES-GCM of a constant under the master key
  signing_key_enc  BLOB,            -- Ed25519 PKCS#8, AES-GCM under the master key
  signing_key_jwk  TEXT,            -- public JWK (public data, kept clear so it can be served)
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);

CREATE TABLE accounts (
  id                TEXT PRIMARY KEY,
  username          TEXT NOT NULL UNIQUE COLLATE NOCASE,
  account_type      TEXT NOT NULL CHECK (account_type IN ('human','system')),
  status            TEXT NOT NULL CHECK (status IN ('active','inactive','deleted')),
  password_hash     TEXT,
  totp_secret_enc   BLOB,            -- confirmed secret, AES-GCM (aad: totp:<id>)
  totp_pending_enc  BLOB,            -- enrolled, not yet confirmed
  totp_enabled      INTEGER NOT NULL DEFAULT 0 CHECK (totp_enabled IN (0,1)),
  totp_last_step    INTEGER NOT NULL DEFAULT 0, -- last accepted time step: refuses replays
  failed_count      INTEGER NOT NULL DEFAULT 0,
  failed_window_start TEXT,
  locked_until      TEXT,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
);

CREATE TABLE account_roles (
  account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  role        TEXT NOT NULL,
  granted_at  TEXT NOT NULL,
  PRIMARY KEY (account_id, role)
) WITHOUT ROWID;
CREATE INDEX account_roles_by_role ON account_roles(role);

CREATE TABLE account_tags (
  account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  tag         TEXT NOT NULL,
  PRIMARY KEY (account_id, tag)
) WITHOUT ROWID;

CREATE TABLE tokens (
  jti            TEXT PRIMARY KEY,
  account_id     TEXT NOT NULL REFERENCES accounts(id),
  kind           TEXT NOT NULL CHECK (kind IN ('session','service')),
  issued_at      TEXT NOT NULL,
  expires_at     TEXT NOT NULL,
  revoked_at     TEXT,
  revoke_reason  TEXT
);
CREATE INDEX tokens_by_account ON tokens(account_id, issued_at);
CREATE INDEX tokens_by_expiry ON tokens(expires_at);

CREATE TABLE audit_log (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  time       TEXT NOT NULL,
  type       TEXT NOT NULL,
  actor_id   TEXT,
  actor      TEXT,
  target_id  TEXT,
  target     TEXT,
  ip         TEXT,
  details    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_time ON audit_log(time);
CREATE INDEX audit_by_type ON audit_log(type, id);
CREATE INDEX audit_by_actor ON audit_log(actor_id, id);
CREATE INDEX audit_by_target ON audit_log(target_id, id);
-- Append-only: the database itself refuses edits and deletions of audit rows.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE service_account_delegates (
  account_id  TEXT NOT NULL REFERENCES accounts(id),   -- the system account
  grantee_id  TEXT NOT NULL REFERENCES accounts(id),   -- the human delegate
  granted_at  TEXT NOT NULL,
  granted_by  TEXT,
  PRIMARY KEY (account_id, grantee_id)
) WITHOUT ROWID;
CREATE INDEX delegates_by_grantee ON service_account_delegates(grantee_id);

CREATE TABLE pg_credentials (
  account_id    TEXT PRIMARY KEY REFERENCES accounts(id),
  host          TEXT NOT NULL,
  port          INTEGER NOT NULL,
  database      TEXT NOT NULL,
  username      TEXT NOT NULL,
  password_enc  BLOB NOT NULL,   -- AES-GCM under the master key (aad: pgcreds:<account_id>)
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);

CREATE TABLE pg_credential_access (
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  grantee_id  TEXT NOT NULL REFERENCES accounts(id),
  granted_at  TEXT NOT NULL,
  granted_by  TEXT,
  PRIMARY KEY (account_id, grantee_id)
) WITHOUT ROWID;
CREATE INDEX pgaccess_by_grantee ON pg_credential_access(grantee_id);

CREATE TABLE policy_rules (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  description  TEXT NOT NULL,
  effect       TEXT NOT NULL CHECK (effect IN ('allow','deny')),
  priority     INTEGER NOT NULL DEFAULT 100,
  enabled      INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0,1)),
  not_before   TEXT,
  expires_at   TEXT,
  match        TEXT NOT NULL DEFAULT '{}',
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
