/**
 * Policy rules (SPEC §5): list, read, create, update, delete, and a what-if
 * evaluation that explains a decision. Built-ins (negative ids) are listed but are
 * immutable. Every change is audited in its transaction and reloads the cache, so a
 * rule takes effect on the next request.
 */
import { AppError, assertThat } from "../errors";
import { appResource, findApp } from "./apps";
import { BUILTIN_RULES, evaluate, isAction, RESOURCE_TYPES, type Resource, type ResourceType, type Rule } from "../policy";
import type { AccountRow } from "../store/accounts";
import type { AuditService } from "./audit";
import { subjectOf, type Authz } from "./authz";
import { iso, type ServiceDeps } from "./deps";
import { type Ctx, type Principal } from "./principal";
import type { PolicyCache } from "./policyCache";
import { applyPatch, parseNewRule, ruleFromRow, RuleInvalid, type RuleFields } from "./ruleValidation";
import { toRuleView, type RuleView } from "./views";

/** Bounds evaluation cost: every decision walks every rule. */
export const MAX_STORED_RULES = 1000;

export interface EvaluateInput {
  subject_id: string;
  action: string;
  resource: { type: string; id?: string };
}

export interface EvaluateResult {
  effect: "allow" | "deny";
  rule_id: number | null;
  rule_description: string | null;
}

/** Resource types that belong to an account and so take an account (or token) id. */
const ACCOUNT_OWNED: readonly ResourceType[] = ["account", "token", "pgcreds"];

export function createPolicyService(deps: ServiceDeps, audit: AuditService, authz: Authz, cache: PolicyCache) {
  const { store, clock } = deps;
  const now = () => iso(clock.now());

  function parse<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof RuleInvalid) throw new AppError("bad_request", e.message);
      throw e;
    }
  }

  function ruleId(id: number | string): number {
    const n = typeof id === "number" ? id : /^-?\d{1,15}$/.test(id) ? Number(id) : NaN;
    if (!Number.isSafeInteger(n) || n === 0) throw new AppError("not_found", "rule not found");
    return n;
  }

  function builtin(id: number): Rule {
    const r = BUILTIN_RULES.find((b) => b.id === id);
    assertThat(r, "not_found", "rule not found");
    return r;
  }

  function stored(id: number): Rule {
    const row = store.policyRules.get(id);
    assertThat(row, "not_found", "rule not found");
    return ruleFromRow(row);
  }

  function fieldsOf(r: Rule): RuleFields {
    return {
      description: r.description, effect: r.effect, priority: r.priority, enabled: r.enabled,
      not_before: r.not_before ?? null, expires_at: r.expires_at ?? null, match: r.match,
    };
  }

  /**
   * Refuses a stored rule set that would deny the caller policy:write: deny beats the
   * admin rule and no break-glass command edits rules, so nobody could change or delete
   * rules again. A deny's future not_before counts as already in force.
   */
  function assertKeepsPolicyWrite(ctx: Ctx, stored: Rule[]): void {
    if (!ctx.principal) return;
    const rules = [...BUILTIN_RULES, ...stored.map((r) => (r.effect === "deny" ? { ...r, not_before: null } : r))];
    const d = evaluate({ subject: subjectOf(ctx.principal), action: "policy:write", resource: { type: "policy" } }, rules, clock.now());
    if (d.effect !== "allow") throw new AppError("conflict", "this rule would deny you policy:write: nobody could change or delete rules again");
  }

  const toRow = (f: RuleFields) => ({
    description: f.description, effect: f.effect, priority: f.priority, enabled: f.enabled ? 1 : 0,
    not_before: f.not_before, expires_at: f.expires_at, match: JSON.stringify(f.match),
  });

  /** The caller's subject facts come from the database, never from a request body. */
  function loadSubject(id: string): Principal {
    const row = store.accounts.get(id);
    assertThat(row, "not_found", "subject account not found");
    return {
      id: row.id, username: row.username, account_type: row.account_type, status: row.status,
      roles: store.accounts.roles(row.id), tags: store.accounts.tags(row.id),
    };
  }

  function loadResource(type: ResourceType, id: string | undefined): { resource: Resource; owner: AccountRow | null } {
    if (type === "app") {
      // An app of [[sso.apps]], named by its host.
      if (id === undefined) throw new AppError("bad_request", "resource type app needs an id (the app's host)");
      const app = findApp(deps.config.sso.apps, id.toLowerCase(), "/");
      assertThat(app, "not_found", "no app with that host in [[sso.apps]]");
      return { resource: appResource(app), owner: null };
    }
    if (!ACCOUNT_OWNED.includes(type)) {
      if (id !== undefined) throw new AppError("bad_request", `resource type ${type} takes no id`);
      return { resource: { type }, owner: null };
    }
    if (id === undefined) return { resource: { type }, owner: null };
    // A token resource may be named by its jti; everything else by the owning account's id.
    const tokenOwner = type === "token" ? store.tokens.get(id)?.account_id : undefined;
    const row = store.accounts.get(tokenOwner ?? id);
    assertThat(row, "not_found", "resource account not found");
    return { resource: authz.accountResource(row, type), owner: row };
  }

  return {
    /** Built-ins (negative ids) first, then stored rules by priority, id. */
    list(ctx: Ctx): RuleView[] {
      authz.require(ctx, "policy:read", { type: "policy" });
      return cache.rules().map(toRuleView);
    },

    get(ctx: Ctx, id: number | string): RuleView {
      authz.require(ctx, "policy:read", { type: "policy" });
      const n = ruleId(id);
      return toRuleView(n < 0 ? builtin(n) : stored(n));
    },

    create(ctx: Ctx, input: unknown): RuleView {
      authz.require(ctx, "policy:write", { type: "policy" });
      const f = parse(() => parseNewRule(input));
      const view = store.tx(() => {
        if (store.policyRules.list().length >= MAX_STORED_RULES) throw new AppError("conflict", `at most ${MAX_STORED_RULES} stored rules`);
        assertKeepsPolicyWrite(ctx, [...store.policyRules.list().map(ruleFromRow), { id: 0, ...f }]);
        const id = store.policyRules.insert(toRow(f), now());
        audit.record(ctx, "policy_rule_created", null, { rule_id: id, effect: f.effect, description: f.description });
        return toRuleView({ id, ...f });
      });
      cache.reload();
      return view;
    },

    update(ctx: Ctx, id: number | string, patch: unknown): RuleView {
      authz.require(ctx, "policy:write", { type: "policy" });
      const n = ruleId(id);
      if (n < 0) {
        builtin(n);
        throw new AppError("forbidden", "built-in rules cannot be changed");
      }
      const view = store.tx(() => {
        const current = stored(n);
        const { next, changed } = parse(() => applyPatch(fieldsOf(current), patch));
        if (changed.length === 0) return toRuleView(current);
        assertKeepsPolicyWrite(ctx, [...store.policyRules.list().map(ruleFromRow).filter((r) => r.id !== n), { id: n, ...next }]);
        store.policyRules.update({ id: n, ...toRow(next) }, now());
        const details: Record<string, string | number | boolean | null | string[]> = { rule_id: n, changed };
        if (changed.includes("effect")) details.effect = next.effect;
        if (changed.includes("enabled")) details.enabled = next.enabled;
        audit.record(ctx, "policy_rule_updated", null, details);
        return toRuleView({ id: n, ...next });
      });
      cache.reload();
      return view;
    },

    remove(ctx: Ctx, id: number | string): void {
      authz.require(ctx, "policy:write", { type: "policy" });
      const n = ruleId(id);
      if (n < 0) {
        builtin(n);
        throw new AppError("forbidden", "built-in rules cannot be deleted");
      }
      store.tx(() => {
        const current = stored(n);
        store.policyRules.delete(n);
        audit.record(ctx, "policy_rule_deleted", null, { rule_id: n, effect: current.effect, description: current.description });
      });
      cache.reload();
    },

    /**
     * What-if: the decision the engine would make now for that subject, action and
     * resource, with the deciding rule. Needs policy:read, plus read access to the
     * accounts it names, so evaluate cannot probe accounts the caller cannot see.
     * Does not audit a deny: nothing was attempted.
     */
    evaluate(ctx: Ctx, input: EvaluateInput): EvaluateResult {
      authz.require(ctx, "policy:read", { type: "policy" });
      if (!isAction(input.action)) throw new AppError("bad_request", "action is not a known action");
      const type = input.resource.type;
      if (!(RESOURCE_TYPES as readonly string[]).includes(type)) throw new AppError("bad_request", `resource.type must be one of ${RESOURCE_TYPES.join(", ")}`);
      const subject = loadSubject(input.subject_id);
      const { resource, owner } = loadResource(type as ResourceType, input.resource.id);
      const subjectRow = store.accounts.get(subject.id)!;
      authz.require(ctx, "accounts:read", authz.accountResource(subjectRow));
      if (owner) authz.require(ctx, "accounts:read", authz.accountResource(owner));
      const d = authz.decide(subject, input.action, resource);
      return { effect: d.effect, rule_id: d.rule?.id ?? null, rule_description: d.rule?.description ?? null };
    },
  };
}

export type PolicyService = ReturnType<typeof createPolicyService>;
