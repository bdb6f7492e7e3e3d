/**
 * Stored rules, parsed once and kept in memory; reloaded after every rule change
 * (SPEC §5). The engine always sees built-ins + stored rules.
 */
import { BUILTIN_RULES, type Rule, type RuleMatch } from "../policy";
import type { PolicyRuleRow } from "../store/policyRules";
import type { Store } from "../store";

export function ruleFromRow(r: PolicyRuleRow): Rule {
  let match: RuleMatch = {};
  try {
    match = JSON.parse(r.match) as RuleMatch;
  } catch { /* validated on write; a damaged row matches everything only if empty, so keep {} */ }
  return {
    id: r.id,
    description: r.description,
    effect: r.effect,
    priority: r.priority,
    enabled: r.enabled === 1,
    not_before: r.not_before,
    expires_at: r.expires_at,
    match,
  };
}

export function createPolicyCache(store: Store) {
  let rules: readonly Rule[] | null = null;
  return {
    rules(): readonly Rule[] {
      if (!rules) rules = [...BUILTIN_RULES, ...store.policyRules.list().map(ruleFromRow)];
      return rules;
    },
    reload(): void {
      rules = null;
    },
  };
}

export type PolicyCache = ReturnType<typeof createPolicyCache>;
