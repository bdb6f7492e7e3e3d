/**
 * The rules the engine decides with: built-ins + stored rules, parsed once (a stored
 * row that no longer validates loads disabled: ruleValidation.ts), reloaded after
 * every rule change. The policy service's listings read it too.
 *
 * "Every rule change" includes changes made by another serving thread (`[server]
 * workers` > 1), another process (`mcias db`) or raw SQL: each use compares the table's
 * change counter (kept by triggers, migration 0005) with the one the cached list was
 * read at — one indexed row — and rereads the table when it moved.
 */
import { BUILTIN_RULES, type Rule } from "../policy";
import type { Store } from "../store";
import { ruleFromRow } from "./ruleValidation";

export function createPolicyCache(store: Store) {
  let rules: readonly Rule[] | null = null;
  let readAt = -1;
  return {
    /** Built-ins first, then stored rules; rebuilt after any change to the table. */
    rules(knownGeneration?: string): readonly Rule[] {
      // The counter first: a change landing between the two reads only causes one more reread.
      const n = store.changes.get("policy_rules", knownGeneration);
      if (!rules || n !== readAt) {
        rules = Object.freeze([...BUILTIN_RULES, ...store.policyRules.list().map(ruleFromRow)]);
        readAt = n;
      }
      return rules;
    },
    /** Drops the cached list; the next decision reads the table again. */
    reload(): void {
      rules = null;
    },
  };
}

export type PolicyCache = ReturnType<typeof createPolicyCache>;
