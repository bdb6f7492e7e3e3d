/**
 * Policy rule validation (SPEC §5), shared by writes (the policy service) and loads
 * (policyCache.ts, through ruleFromRow). Input is untyped on purpose: the REST schema,
 * the UI's raw-JSON form and anything read back from the database all pass through the
 * same checks.
 */
import { ACTIONS, RESOURCE_TYPES, type Rule, type RuleMatch } from "../policy";
import type { PolicyRuleRow } from "../store/policyRules";
import { ROLE_RE, TAG_RE, USERNAME_RE, UUID_RE } from "./limits";

export const PRIORITY_MIN = 0;
export const PRIORITY_MAX = 10_000;
export const DEFAULT_PRIORITY = 100;
export const MAX_MATCH_ITEMS = 64;
export const MAX_DESCRIPTION = 256;

/** RFC 3339 date-time with a mandatory offset (Z or ±hh:mm). */
const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const MATCH_FIELDS = ["roles", "account_types", "subject_ids", "actions", "resource_types", "owner_is_subject", "services", "required_tags"] as const;

/** A rule problem, phrased for the client; never echoes the offending value. */
export class RuleInvalid extends Error {}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** Parses an RFC 3339 time and returns it normalized to UTC (toISOString), or throws. */
export function parseTime(field: string, x: unknown): string {
  if (typeof x !== "string" || x.length > 40) throw new RuleInvalid(`${field} must be an RFC 3339 date-time string`);
  const m = RFC3339_RE.exec(x);
  const ms = Date.parse(x);
  if (!m || Number.isNaN(ms)) throw new RuleInvalid(`${field} must be an RFC 3339 date-time (e.g. 2026-12-01T00:00:00Z)`);
  // Date.parse rolls 2026-02-30 over into March; RFC 3339 does not.
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > dim || h > 23 || mi > 59 || s > 59) throw new RuleInvalid(`${field} is not a real date-time`);
  return new Date(ms).toISOString();
}

function stringList(field: string, x: unknown, ok: (s: string) => boolean, what: string): string[] {
  if (!Array.isArray(x)) throw new RuleInvalid(`match.${field} must be an array`);
  if (x.length === 0) throw new RuleInvalid(`match.${field} must not be empty (omit it to match anything)`);
  if (x.length > MAX_MATCH_ITEMS) throw new RuleInvalid(`match.${field}: at most ${MAX_MATCH_ITEMS} items`);
  for (const v of x) if (typeof v !== "string" || !ok(v)) throw new RuleInvalid(`match.${field}: every item must be ${what}`);
  return [...new Set(x as string[])];
}

/** Validates a §5 match object: closed (only the §5 fields), every list non-empty and well-formed. */
export function parseMatch(x: unknown): RuleMatch {
  if (!isObj(x)) throw new RuleInvalid("match must be an object");
  for (const k of Object.keys(x)) {
    if (!(MATCH_FIELDS as readonly string[]).includes(k)) throw new RuleInvalid(`match: unknown field ${JSON.stringify(k.slice(0, 64))}; allowed: ${MATCH_FIELDS.join(", ")}`);
  }
  const m: RuleMatch = {};
  if (x.roles !== undefined) m.roles = stringList("roles", x.roles, (s) => ROLE_RE.test(s), "a role name");
  if (x.account_types !== undefined) {
    m.account_types = stringList("account_types", x.account_types, (s) => s === "human" || s === "system", '"human" or "system"') as ("human" | "system")[];
  }
  if (x.subject_ids !== undefined) m.subject_ids = stringList("subject_ids", x.subject_ids, (s) => UUID_RE.test(s), "an account id (lower-case UUID)");
  if (x.actions !== undefined) {
    m.actions = stringList("actions", x.actions, (s) => (ACTIONS as readonly string[]).includes(s), `a known action (${ACTIONS.join(", ")})`) as RuleMatch["actions"];
  }
  if (x.resource_types !== undefined) {
    m.resource_types = stringList("resource_types", x.resource_types, (s) => (RESOURCE_TYPES as readonly string[]).includes(s), `a resource type (${RESOURCE_TYPES.join(", ")})`) as RuleMatch["resource_types"];
  }
  if (x.owner_is_subject !== undefined) {
    if (typeof x.owner_is_subject !== "boolean") throw new RuleInvalid("match.owner_is_subject must be true or false");
    m.owner_is_subject = x.owner_is_subject;
  }
  if (x.services !== undefined) m.services = stringList("services", x.services, (s) => USERNAME_RE.test(s), "a system account username");
  if (x.required_tags !== undefined) m.required_tags = stringList("required_tags", x.required_tags, (s) => TAG_RE.test(s), "a tag (key:value or a plain word)");
  return m;
}

export interface RuleFields {
  description: string;
  effect: "allow" | "deny";
  priority: number;
  enabled: boolean;
  not_before: string | null;
  expires_at: string | null;
  match: RuleMatch;
}

const RULE_FIELDS = ["description", "effect", "priority", "enabled", "not_before", "expires_at", "match"] as const;

function parseDescription(x: unknown): string {
  if (typeof x !== "string" || x.trim().length === 0 || x.length > MAX_DESCRIPTION) {
    throw new RuleInvalid(`description must be 1-${MAX_DESCRIPTION} characters`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(x)) throw new RuleInvalid("description must not contain control characters");
  return x;
}

function parseEffect(x: unknown): "allow" | "deny" {
  if (x !== "allow" && x !== "deny") throw new RuleInvalid('effect must be "allow" or "deny"');
  return x;
}

function parsePriority(x: unknown): number {
  if (typeof x !== "number" || !Number.isInteger(x) || x < PRIORITY_MIN || x > PRIORITY_MAX) {
    throw new RuleInvalid(`priority must be an integer ${PRIORITY_MIN}-${PRIORITY_MAX}`);
  }
  return x;
}

function parseEnabled(x: unknown): boolean {
  if (typeof x !== "boolean") throw new RuleInvalid("enabled must be true or false");
  return x;
}

const optTime = (field: string, x: unknown) => (x === null ? null : parseTime(field, x));

function checkWindow(r: { not_before: string | null; expires_at: string | null }): void {
  if (r.not_before && r.expires_at && Date.parse(r.not_before) >= Date.parse(r.expires_at)) {
    throw new RuleInvalid("not_before must be earlier than expires_at");
  }
}

function assertClosed(x: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(x)) {
    if (!allowed.includes(k)) throw new RuleInvalid(`unknown field ${JSON.stringify(k.slice(0, 64))}`);
  }
}

/** A whole new rule (POST): description, effect and match are required. */
export function parseNewRule(x: unknown): RuleFields {
  if (!isObj(x)) throw new RuleInvalid("a rule must be a JSON object");
  assertClosed(x, RULE_FIELDS);
  if (x.description === undefined) throw new RuleInvalid("description is required");
  if (x.effect === undefined) throw new RuleInvalid("effect is required");
  if (x.match === undefined) throw new RuleInvalid("match is required ({} matches everything)");
  const r: RuleFields = {
    description: parseDescription(x.description),
    effect: parseEffect(x.effect),
    priority: x.priority === undefined ? DEFAULT_PRIORITY : parsePriority(x.priority),
    enabled: x.enabled === undefined ? true : parseEnabled(x.enabled),
    not_before: x.not_before === undefined ? null : optTime("not_before", x.not_before),
    expires_at: x.expires_at === undefined ? null : optTime("expires_at", x.expires_at),
    match: parseMatch(x.match),
  };
  checkWindow(r);
  return r;
}

/** A PATCH onto `current`: every field optional; null clears not_before / expires_at. */
export function applyPatch(current: RuleFields, x: unknown): { next: RuleFields; changed: string[] } {
  if (!isObj(x)) throw new RuleInvalid("a rule patch must be a JSON object");
  assertClosed(x, RULE_FIELDS);
  const next: RuleFields = { ...current };
  if (x.description !== undefined) next.description = parseDescription(x.description);
  if (x.effect !== undefined) next.effect = parseEffect(x.effect);
  if (x.priority !== undefined) next.priority = parsePriority(x.priority);
  if (x.enabled !== undefined) next.enabled = parseEnabled(x.enabled);
  if (x.not_before !== undefined) next.not_before = optTime("not_before", x.not_before);
  if (x.expires_at !== undefined) next.expires_at = optTime("expires_at", x.expires_at);
  if (x.match !== undefined) next.match = parseMatch(x.match);
  checkWindow(next);
  const changed = RULE_FIELDS.filter((k) => JSON.stringify(next[k]) !== JSON.stringify(current[k]));
  return { next, changed };
}

/**
 * A stored row as the engine sees it. Rows are validated on write; a row that no
 * longer validates (edited outside the API) is loaded disabled rather than trusted:
 * a damaged allow must not grant, and a damaged deny must not lock every admin out.
 */
export function ruleFromRow(r: PolicyRuleRow): Rule {
  const base = { id: r.id, description: r.description, effect: r.effect, priority: r.priority };
  try {
    const f = parseNewRule({
      description: r.description, effect: r.effect, priority: r.priority, enabled: r.enabled === 1,
      not_before: r.not_before, expires_at: r.expires_at, match: JSON.parse(r.match) as unknown,
    });
    return { id: r.id, ...f };
  } catch {
    return { ...base, effect: r.effect === "deny" ? "deny" : "allow", enabled: false, not_before: null, expires_at: null, match: {} };
  }
}
