-- MCIAS schema v2 (issue 20, SPEC §15): onboarding friends.
-- Optional email and display name on human accounts; invite/reset links (only a
-- SHA-256 of the link's token is stored); WebAuthn credentials (public keys only);
-- one-time recovery codes (only their SHA-256 is stored).

ALTER TABLE accounts ADD COLUMN email TEXT;
ALTER TABLE accounts ADD COLUMN display_name TEXT;
-- Unique case-insensitively; many accounts may have none.
CREATE UNIQUE INDEX accounts_email_nocase ON accounts(email COLLATE NOCASE) WHERE email IS NOT NULL;

CREATE TABLE invites (
  token_hash  TEXT PRIMARY KEY,      -- hex SHA-256 of the 32 random bytes in the link; the token itself is never stored
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  created_by  TEXT,                  -- actor name (username or "mcias-db")
  used_at     TEXT,                  -- set once, on acceptance
  revoked_at  TEXT                   -- set when a newer invite for the account replaced it
) WITHOUT ROWID;
CREATE INDEX invites_by_account ON invites(account_id, created_at);

CREATE TABLE webauthn_credentials (
  id             TEXT PRIMARY KEY,   -- our UUID (API paths use it)
  account_id     TEXT NOT NULL REFERENCES accounts(id),
  credential_id  TEXT NOT NULL UNIQUE, -- base64url credential id chosen by the authenticator
  public_key     BLOB NOT NULL,      -- COSE public key (public data; no private key ever reaches the server)
  sign_count     INTEGER NOT NULL DEFAULT 0,
  transports     TEXT NOT NULL DEFAULT '[]',  -- JSON array of hints (usb, nfc, internal, hybrid…)
  name           TEXT NOT NULL,
  aaguid         TEXT,
  device_type    TEXT,               -- singleDevice | multiDevice
  backed_up      INTEGER NOT NULL DEFAULT 0 CHECK (backed_up IN (0,1)),
  created_at     TEXT NOT NULL,
  last_used_at   TEXT
);
CREATE INDEX webauthn_by_account ON webauthn_credentials(account_id, created_at);

CREATE TABLE recovery_codes (
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  code_hash   TEXT NOT NULL,         -- hex SHA-256 of the normalized code (60 random bits)
  created_at  TEXT NOT NULL,
  used_at     TEXT,
  PRIMARY KEY (account_id, code_hash)
) WITHOUT ROWID;
