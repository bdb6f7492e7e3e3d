-- Short-lived, single-use entries that a second request of the same flow must find,
-- whichever serving thread or process it reaches ([server] workers > 1): WebAuthn
-- challenges between options and verify, and the console's one-time token download.
-- The key is SHA-256 of the lookup value (a challenge, a download nonce), never the
-- value itself. A payload that is a secret (the token of a handoff) is sealed with
-- AES-256-GCM under the master key (aad "token-handoff:<key_hash>:<account_id>"); the
-- others are small JSON. Taking an entry deletes it (DELETE … RETURNING), so it is
-- used at most once; expired entries are refused and pruned.
CREATE TABLE pending_entries (
  kind        TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 32),
  key_hash    TEXT NOT NULL CHECK (length(key_hash) = 64),
  account_id  TEXT,                    -- who may take it (NULL: anyone holding the key)
  payload     BLOB NOT NULL,
  created_at  INTEGER NOT NULL,        -- ms since epoch
  expires_at  INTEGER NOT NULL,        -- ms since epoch
  PRIMARY KEY (kind, key_hash)
) WITHOUT ROWID;
CREATE INDEX pending_entries_by_expiry ON pending_entries(kind, expires_at);
