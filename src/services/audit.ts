/**
 * Audit rows (SPEC §7). `record` is called inside the same transaction as the change
 * it describes. Details are small JSON and never hold a password, token or secret.
 */
import { AppError } from "../errors";
import type { AuditFilter } from "../store/audit";
import type { ChainVerdict } from "../store/auditChain";
import { iso, type ServiceDeps } from "./deps";
import { type Ctx } from "./principal";
import { toAuditView, type AuditEventView } from "./views";
import type { Authz } from "./authz";
import { UUID_RE } from "./limits";

export const AUDIT_EVENT_TYPES = [
  "login_ok", "login_fail", "login_totp_fail", "login_locked", "logout", "token_renewed", "token_issued",
  "token_revoked", "account_created", "account_updated", "account_deleted", "password_changed", "role_granted",
  "role_revoked", "tags_updated", "totp_enrolled", "totp_removed", "pgcred_read", "pgcred_updated",
  "pgcred_access_granted", "pgcred_access_revoked", "token_delegate_granted", "token_delegate_revoked",
  "policy_rule_created", "policy_rule_updated", "policy_rule_deleted", "policy_deny", "vault_sealed",
  "vault_unsealed",
  // Beyond SPEC §7's list: a failed unseal is worth a row of its own.
  "vault_unseal_failed",
  // OpenID Connect provider (SPEC §16, src/services/oidcProvider.ts).
  "oidc_client_created", "oidc_client_updated", "oidc_client_deleted", "oidc_client_secret_rotated",
  "oidc_login", "oidc_login_refused", "oidc_grant_revoked",
  // SPEC §15 (issue 20): onboarding.
  "invite_created", "invite_accepted", "webauthn_registered", "webauthn_removed", "webauthn_renamed",
  "recovery_code_used", "recovery_codes_regenerated",
  // The console's one-time download of a freshly issued service token (issue 13).
  "token_downloaded",
  // Written only by `mcias db` (src/services/maintenance.ts).
  "tokens_pruned", "backup_created", "master_key_rotated",
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Whom a row is about; the username may be unknown (a policy deny names the owner id only). */
export interface AuditTarget { id: string; username: string | null }
export type AuditDetails = Record<string, string | number | boolean | null | string[]>;

export function createAuditService(deps: ServiceDeps) {
  const { store, clock } = deps;

  /** The one audit writer: every row, from every service, goes through here. */
  function record(ctx: Ctx, type: AuditEventType, target?: AuditTarget | null, details: AuditDetails = {}): void {
    store.audit.insert({
      time: iso(clock.now()),
      type,
      actor_id: ctx.principal?.id ?? null,
      actor: ctx.actorName ?? ctx.principal?.username ?? null,
      target_id: target?.id ?? null,
      target: target?.username ?? null,
      ip: ctx.ip,
      details: JSON.stringify(details),
    });
    deps.telemetry?.audited(type, details);
  }

  return { record };
}

export type AuditService = ReturnType<typeof createAuditService>;

export interface AuditQuery {
  account?: string;
  type?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

export function createAuditQueryService(deps: ServiceDeps, authz: Authz) {
  return {
    query(ctx: Ctx, q: AuditQuery): { events: AuditEventView[]; next_cursor: string | null } {
      authz.require(ctx, "audit:read", { type: "audit" });
      return queryAudit(deps, q);
    },
    /** Where a live watch starts: the id of the newest row now (admin, like query). */
    watchStart(ctx: Ctx): number {
      authz.require(ctx, "audit:read", { type: "audit" });
      return deps.store.audit.maxId();
    },
    /** Events written after `afterId`, oldest first, at most 100 (gRPC AuditService/Watch polls this). */
    after(ctx: Ctx, afterId: number): AuditEventView[] {
      authz.require(ctx, "audit:read", { type: "audit" });
      return deps.store.audit.after(afterId, 100).map(toAuditView);
    },
    /**
     * Walks the hash chain (SPEC §18): `{ok, rows}` or `{ok:false, rows, first_bad_id}`.
     * Admin (audit:read); `mcias db audit verify` calls it as the operator.
     */
    verify(ctx: Ctx): ChainVerdict {
      authz.require(ctx, "audit:read", { type: "audit" });
      return deps.store.audit.verifyChain();
    },
  };
}


/**
 * `account` names an account by id or by username (SPEC §17); the log is filtered by id.
 * An id that matches no account is kept (its rows may outlive nothing, but a typo must
 * not silently widen the filter); an unknown username is a clear 404.
 */
function accountFilter(deps: ServiceDeps, account: string | undefined): string | undefined {
  if (account === undefined) return undefined;
  if (UUID_RE.test(account.toLowerCase()) && deps.store.accounts.get(account.toLowerCase())) return account.toLowerCase();
  const row = deps.store.accounts.getByUsername(account);
  if (row) return row.id;
  if (UUID_RE.test(account.toLowerCase())) return account.toLowerCase();
  throw new AppError("not_found", `no account named ${JSON.stringify(account)}`);
}

/** Unauthenticated core, shared by the API (after authz) and `mcias db` (operator access). */
export function queryAudit(deps: ServiceDeps, q: AuditQuery): { events: AuditEventView[]; next_cursor: string | null } {
  const limit = q.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new AppError("bad_request", "limit must be 1..500");
  const time = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const ms = Date.parse(v);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(ms)) throw new AppError("bad_request", `${name} must be an RFC 3339 time`);
    return iso(ms);
  };
  let before: number | undefined;
  if (q.cursor !== undefined) {
    if (!/^[1-9]\d{0,15}$/.test(q.cursor)) throw new AppError("bad_request", "cursor is invalid");
    before = Number(q.cursor);
  }
  if (q.type !== undefined && !(AUDIT_EVENT_TYPES as readonly string[]).includes(q.type)) {
    throw new AppError("bad_request", `type is not an audit event type; valid types: ${AUDIT_EVENT_TYPES.join(", ")}`);
  }
  const f: AuditFilter = { account: accountFilter(deps, q.account), type: q.type, since: time(q.since, "since"), until: time(q.until, "until"), before, limit: limit + 1 };
  const rows = deps.store.audit.query(f);
  const page = rows.slice(0, limit);
  const next = rows.length > limit ? String(page[page.length - 1]!.id) : null;
  return { events: page.map(toAuditView), next_cursor: next };
}
