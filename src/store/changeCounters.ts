/**
 * Change counters (migration 0005): bumped by triggers on every change to a watched
 * table from any connection, so a cache of that table in one thread or process checks
 * its counter per use and rereads the table only after a change.
 *
 * Reading the counter row costs a read transaction (~2 µs); the store's generation
 * (generation.ts: moves with every commit anywhere, costs nanoseconds) is compared
 * first, and while it stands still the counters read last are still the counters now.
 */
import type { Database } from "bun:sqlite";

export type CountedTable = "policy_rules" | "oidc_keys";

export function createChangeCounters(db: Database, generation: () => string) {
  const q = db.query<{ n: number }, [string]>("SELECT n FROM change_counters WHERE name = ?");
  const known = new Map<CountedTable, number>();
  let seen = "";
  return {
    /**
     * The table's change count (any change anywhere moves it; never moves back). With
     * the generation this request already read, no second read while nothing moved.
     */
    get(table: CountedTable, knownGeneration?: string): number {
      // The generation first: a commit landing between the two reads only costs one more read.
      const g = knownGeneration !== undefined && knownGeneration === seen ? seen : generation();
      if (g !== seen) {
        known.clear();
        seen = g;
      }
      let n = known.get(table);
      if (n === undefined) {
        n = q.get(table)?.n ?? -1;
        known.set(table, n);
      }
      return n;
    },
  };
}
