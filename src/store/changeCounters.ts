/**
 * Change counters (migration 0005): bumped by triggers on every change to a watched
 * table from any connection, so a cache of that table in one thread or process checks
 * one row per use and rereads the table only after a change.
 */
import type { Database } from "bun:sqlite";

export type CountedTable = "policy_rules" | "oidc_keys";

export function createChangeCounters(db: Database) {
  const q = db.query<{ n: number }, [string]>("SELECT n FROM change_counters WHERE name = ?");
  return {
    /** The table's change count (any change anywhere moves it; never moves back). */
    get: (table: CountedTable): number => q.get(table)?.n ?? -1,
  };
}
