/**
 * The ABAC engine: a pure function of (input, rules). No I/O, no clock of its own.
 *
 * - A rule matches when it is enabled, inside [not_before, expires_at), and every
 *   match field it lists holds (AND; an absent field matches anything). Times are
 *   validated on write; an unparseable one makes the rule not match.
 * - Deny wins: any matching deny beats every allow. No match: deny (rule null).
 * - Among matching rules of the winning effect, the one with the lowest priority
 *   (then lowest id) is reported as the deciding rule.
 */
import type { BuiltinMatch, Decision, PolicyInput, Rule } from "./types";

export function ruleMatches(rule: Rule, input: PolicyInput, nowMs: number): boolean {
  if (!rule.enabled) return false;
  // Written comparisons are negated so an unparseable time (NaN) never matches.
  if (rule.not_before && !(nowMs >= Date.parse(rule.not_before))) return false;
  if (rule.expires_at && !(nowMs < Date.parse(rule.expires_at))) return false;
  return matchHolds(rule.match, input);
}

function matchHolds(m: BuiltinMatch, { subject, action, resource }: PolicyInput): boolean {
  if (m.roles && !m.roles.some((r) => subject.roles.includes(r))) return false;
  if (m.account_types && !m.account_types.includes(subject.account_type)) return false;
  if (m.subject_ids && !m.subject_ids.includes(subject.id)) return false;
  if (m.actions && !m.actions.includes(action)) return false;
  if (m.resource_types && !m.resource_types.includes(resource.type)) return false;
  if (m.owner_is_subject !== undefined) {
    const owns = resource.owner_id !== undefined && resource.owner_id === subject.id;
    if (owns !== m.owner_is_subject) return false;
  }
  if (m.services && (resource.service === undefined || !m.services.includes(resource.service))) return false;
  if (m.required_tags) {
    const tags = resource.tags ?? [];
    if (!m.required_tags.every((t) => tags.includes(t))) return false;
  }
  if (m.subject_has_service_role !== undefined) {
    const has = resource.service !== undefined && subject.roles.includes(resource.service);
    if (has !== m.subject_has_service_role) return false;
  }
  if (m.subject_is_delegate !== undefined) {
    const is = (resource.delegate_ids ?? []).includes(subject.id);
    if (is !== m.subject_is_delegate) return false;
  }
  if (m.escalates_to_admin !== undefined) {
    const esc = (resource.roles ?? []).includes("admin") && !subject.roles.includes("admin");
    if (esc !== m.escalates_to_admin) return false;
  }
  if (m.subject_has_app_role !== undefined) {
    const roles = resource.app_roles ?? [];
    const has = roles.length === 0 || roles.some((r) => subject.roles.includes(r));
    if (has !== m.subject_has_app_role) return false;
  }
  if (m.subject_is_grantee !== undefined) {
    const is = (resource.grantee_ids ?? []).includes(subject.id);
    if (is !== m.subject_is_grantee) return false;
  }
  return true;
}

function byPrecedence(a: Rule, b: Rule): number {
  return a.priority - b.priority || a.id - b.id;
}

export function evaluate(input: PolicyInput, rules: readonly Rule[], nowMs: number): Decision {
  let deny: Rule | null = null;
  let allow: Rule | null = null;
  for (const r of rules) {
    if (!ruleMatches(r, input, nowMs)) continue;
    if (r.effect === "deny") {
      if (!deny || byPrecedence(r, deny) < 0) deny = r;
    } else if (!allow || byPrecedence(r, allow) < 0) {
      allow = r;
    }
  }
  if (deny) return { effect: "deny", rule: deny };
  if (allow) return { effect: "allow", rule: allow };
  return { effect: "deny", rule: null };
}
