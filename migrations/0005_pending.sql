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

-- Change counters for the small tables a serving thread keeps parsed in memory (the
-- policy rules, the OIDC keys): triggers bump a counter on every insert, update and
-- delete from any connection (another serving thread, `mcias db`, raw SQL), so a cache
-- checks one row per use and rereads the table only after a change.
CREATE TABLE change_counters (
  name  TEXT PRIMARY KEY,
  n     INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO change_counters (name, n) VALUES ('policy_rules', 0), ('oidc_keys', 0);
CREATE TRIGGER policy_rules_count_insert AFTER INSERT ON policy_rules
  BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'policy_rules'; END;
CREATE TRIGGER policy_rules_count_update AFTER UPDATE ON policy_rules
  BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'policy_rules'; END;
CREATE TRIGGER policy_rules_count_delete AFTER DELETE ON policy_rules
  BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'policy_rules'; END;
CREATE TRIGGER oidc_keys_count_insert AFTER INSERT ON oidc_keys
  BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'oidc_keys'; END;
CREATE TRIGGER oidc_keys_count_update AFTER UPDATE ON oidc_keys
  BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'oidc_keys'; END;
CREATE TRIGGER oidc_keys_count_delete AFTER DELETE ON oidc_keys
  BEGIN UPDATE change_counters SET n = n + 1 WHERE name = 'oidc_keys'; END;
