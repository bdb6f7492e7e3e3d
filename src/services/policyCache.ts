/**
 * The rules the engine decides with: built-ins + stored rules, parsed once (a stored
 * row that no longer validates loads disabled: ruleValidation.ts), reloaded after
 * every rule change. The policy service's listings read it too.
 */
import { BUILTIN_RULES, type Rule } from "../policy";
import type { Store } from "../store";
import { ruleFromRow } from "./ruleValidation";

export function createPolicyCache(store: Store) {
  let rules: readonly Rule[] | null = null;
  return {
    /** Built-ins first, then stored rules; built once per reload. */
    rules(): readonly Rule[] {
      if (!rules) rules = Object.freeze([...BUILTIN_RULES, ...store.policyRules.list().map(ruleFromRow)]);
      return rules;
    },
    /** Drops the cached list; the next decision reads the table again. */
    reload(): void {
      rules = null;
    },
  };
}

export type PolicyCache = ReturnType<typeof createPolicyCache>;
