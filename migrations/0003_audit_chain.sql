-- SPEC §18: a tamper-evident audit log. Each row carries
-- hash = SHA-256(previous row's hash ‖ canonical row); src/store/auditChain.ts computes
-- it on every insert (and, once, for the rows that exist now: the hook of this
-- migration in src/store/migrate.ts). Rows stay append-only: an UPDATE is allowed only
-- while a row has no hash yet (that one-time fill), never after.
ALTER TABLE audit_log ADD COLUMN hash TEXT;
DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  WHEN OLD.hash IS NOT NULL
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
