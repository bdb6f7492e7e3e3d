import type { Database } from "bun:sqlite";
import { loadMigrations } from "./migrations.macro" with { type: "macro" };
import { chainHash, GENESIS, type ChainFields } from "./auditChain";

export interface Migration { version: number; name: string; sql: string }

/** Every migration this binary knows, embedded at build time. */
export const MIGRATIONS: Migration[] = loadMigrations();
export const LATEST_VERSION = MIGRATIONS.reduce((m, x) => Math.max(m, x.version), 0);

export class SchemaTooNewError extends Error {
  constructor(readonly found: number) {
    super(`database schema version ${found} is newer than this binary knows (${LATEST_VERSION}); upgrade mcias`);
  }
}

export function ensureVersionTable(db: Database): void {
  db.run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)");
}

export function currentVersion(db: Database): number {
  ensureVersionTable(db);
  const row = db.query<{ v: number | null }, []>("SELECT MAX(version) AS v FROM schema_version").get();
  return row?.v ?? 0;
}

export function pendingMigrations(db: Database): Migration[] {
  const v = currentVersion(db);
  return MIGRATIONS.filter((m) => m.version > v);
}

/**
 * Work a migration needs beyond SQL, run in the same transaction right after its SQL.
 * 0003: chain the audit rows that exist (SQLite has no SHA-256 of its own).
 */
const HOOKS: Record<number, (db: Database) => void> = {
  3(db) {
    const set = db.query("UPDATE audit_log SET hash = ? WHERE id = ?");
    let prev = GENESIS;
    for (const r of db.query<ChainFields, []>("SELECT id, time, type, actor_id, actor, target_id, target, ip, details FROM audit_log ORDER BY id").all()) {
      prev = chainHash(prev, r);
      set.run(prev, r.id);
    }
  },
};

/** Applies pending migrations, each in its own IMMEDIATE transaction. Idempotent. */
export function migrate(db: Database): number[] {
  const applied: number[] = [];
  const v = currentVersion(db);
  if (v > LATEST_VERSION) throw new SchemaTooNewError(v);
  for (const m of MIGRATIONS) {
    const run = db.transaction(() => {
      // Re-check inside the write lock: a second process may have migrated meanwhile.
      if (currentVersion(db) >= m.version) return false;
      db.run(m.sql);
      HOOKS[m.version]?.(db);
      db.run("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", [m.version, new Date().toISOString()]);
      return true;
    });
    if (run.immediate()) applied.push(m.version);
  }
  return applied;
}

/** Sets the recorded version without running SQL (break-glass: `mcias db schema force`). */
export function forceVersion(db: Database, version: number): void {
  ensureVersionTable(db);
  db.transaction(() => {
    db.run("DELETE FROM schema_version");
    db.run("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", [version, new Date().toISOString()]);
  }).immediate();
}
