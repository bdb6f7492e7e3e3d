/**
 * Authorization in one place: services describe the resource, the pure engine
 * decides. Handlers never compare roles. An attempt that an explicit rule denies is
 * audited (SPEC §5) through the one audit writer; deciding what a listing or a page
 * shows is not an attempt and is never audited.
 */
import { AppError } from "../errors";
import { evaluate, type Action, type Decision, type Resource, type Subject } from "../policy";
import type { AccountRow } from "../store/accounts";
import type { AuditService } from "./audit";
import type { ServiceDeps } from "./deps";
import type { Ctx, Principal } from "./principal";
import type { PolicyCache } from "./policyCache";

export function subjectOf(p: Principal): Subject {
  return { id: p.id, account_type: p.account_type, roles: p.roles, tags: p.tags };
}

export function createAuthz(deps: ServiceDeps, cache: PolicyCache, audit: AuditService) {
  const { store, clock } = deps;

  function decide(p: Principal, action: Action, resource: Resource): Decision {
    return evaluate({ subject: subjectOf(p), action, resource }, cache.rules(p.generation), clock.now());
  }

  function auditDeny(ctx: Ctx, action: Action, resource: Resource, d: Decision): void {
    if (!d.rule) return; // default deny: nothing explicit to record
    const target = resource.owner_id ? { id: resource.owner_id, username: store.accounts.get(resource.owner_id)?.username ?? null } : null;
    audit.record(ctx, "policy_deny", target, { action, resource_type: resource.type, rule_id: d.rule.id });
  }

  /**
   * For listings: whether the caller may see this row. Never audits (a listing is
   * not an attempt) and never throws.
   */
  function visible(ctx: Ctx, action: Action, resource: Resource): boolean {
    if (ctx.operator) return true;
    return ctx.principal !== null && decide(ctx.principal, action, resource).effect === "allow";
  }

  /** An attempt: true when allowed; audits an explicit deny. Never throws for a deny. */
  function can(ctx: Ctx, action: Action, resource: Resource): boolean {
    if (ctx.operator) return true;
    const p = ctx.principal;
    if (!p) return false;
    const d = decide(p, action, resource);
    if (d.effect === "deny") auditDeny(ctx, action, resource, d);
    return d.effect === "allow";
  }

  /** Throws unauthorized without a caller, forbidden on deny. */
  function require(ctx: Ctx, action: Action, resource: Resource): void {
    if (ctx.operator) return;
    if (!ctx.principal) throw new AppError("unauthorized");
    if (!can(ctx, action, resource)) throw new AppError("forbidden", `not allowed: ${action}`);
  }

  /** Describes an account (or something it owns) as a policy resource, with its relationships. */
  function accountResource(row: AccountRow, type: Resource["type"] = "account"): Resource {
    const system = row.account_type === "system";
    return {
      type,
      id: row.id,
      owner_id: row.id,
      service: system ? row.username : undefined,
      tags: store.accounts.tags(row.id),
      delegate_ids: system ? store.delegates.list(row.id).map((g) => g.grantee_id) : [],
      grantee_ids: system ? store.pgAccess.list(row.id).map((g) => g.grantee_id) : [],
      roles: store.accounts.roles(row.id),
    };
  }

  /** accountResource by id, for adapters (the UI) that hold a view, not a row; null when unknown. */
  function accountResourceById(id: string, type: Resource["type"] = "account"): Resource | null {
    const row = store.accounts.get(id);
    return row ? accountResource(row, type) : null;
  }

  /**
   * "May I?" for adapters that draw buttons and links (the console): the same engine
   * and the same resource facts (delegates, grantees, tags, roles) the service will use
   * when the action is tried, without an audit row (drawing a page is not an attempt).
   * `accountId` names the account the resource belongs to; an unknown one is a no.
   */
  function may(p: Principal, action: Action, type: Resource["type"], accountId?: string): boolean {
    const resource = accountId === undefined ? { type } : accountResourceById(accountId, type);
    return resource !== null && decide(p, action, resource).effect === "allow";
  }

  return { decide, can, visible, require, may, accountResource, accountResourceById };
}

export type Authz = ReturnType<typeof createAuthz>;
