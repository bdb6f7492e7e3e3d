/**
 * One view function per entity: the only place that decides what of a row leaves
 * the server. Nothing else shapes a response from a database row.
 */
import type { Rule } from "../policy";
import type { AccountRow } from "../store/accounts";
import type { AuditRow } from "../store/audit";
import type { GrantRow } from "../store/delegates";
import type { PgCredRow } from "../store/pgcreds";
import type { TokenRow } from "../store/tokens";

export interface AccountView {
  id: string;
  username: string;
  account_type: "human" | "system";
  status: "active" | "inactive" | "deleted";
  roles: string[];
  tags: string[];
  totp_enabled: boolean;
  created_at: string;
  updated_at: string;
  /** SPEC §15: optional, human accounts only; null when unset. */
  email: string | null;
  display_name: string | null;
}

export function toAccountView(row: AccountRow, roles: string[], tags: string[]): AccountView {
  return {
    id: row.id,
    username: row.username,
    account_type: row.account_type,
    status: row.status,
    roles: [...roles],
    tags: [...tags],
    totp_enabled: row.totp_enabled === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
    email: row.email ?? null,
    display_name: row.display_name ?? null,
  };
}

export interface TokenView { jti: string; issued_at: string; expires_at: string; revoked_at: string | null }

export function toTokenView(r: TokenRow): TokenView {
  return { jti: r.jti, issued_at: r.issued_at, expires_at: r.expires_at, revoked_at: r.revoked_at };
}

export interface AuditEventView {
  id: number;
  time: string;
  type: string;
  actor_id: string | null;
  actor: string | null;
  target_id: string | null;
  target: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export function toAuditView(r: AuditRow): AuditEventView {
  let details: Record<string, unknown> = {};
  try {
    const v = JSON.parse(r.details);
    if (v && typeof v === "object" && !Array.isArray(v)) details = v as Record<string, unknown>;
  } catch { /* a malformed row shows as {} rather than failing the page */ }
  return { id: r.id, time: r.time, type: r.type, actor_id: r.actor_id, actor: r.actor, target_id: r.target_id, target: r.target, ip: r.ip, details };
}

/** One delegate or one metadata-access grantee: `[{"grantee_id","username","granted_at"}]`. */
export interface GrantView { grantee_id: string; username: string; granted_at: string }

export function toGrantView(r: GrantRow, username: string): GrantView {
  return { grantee_id: r.grantee_id, username, granted_at: r.granted_at };
}

/** Connection metadata; `password` only for a reader allowed `pgcreds:read`. */
export interface PgCredView { host: string; port: number; database: string; username: string; password?: string }

export function toPgCredView(r: PgCredRow, password?: string): PgCredView {
  const v: PgCredView = { host: r.host, port: r.port, database: r.database, username: r.username };
  if (password !== undefined) v.password = password;
  return v;
}

/** An entry of GET /v1/pgcreds: never the password. */
export interface PgCredListItem { account_id: string; service: string; host: string; port: number; database: string; username: string }

export function toPgCredListItem(r: PgCredRow, service: string): PgCredListItem {
  return { account_id: r.account_id, service, host: r.host, port: r.port, database: r.database, username: r.username };
}

/** The §5 rule JSON: optional times only when set. */
export interface RuleView {
  id: number;
  description: string;
  effect: "allow" | "deny";
  priority: number;
  enabled: boolean;
  not_before?: string;
  expires_at?: string;
  match: Record<string, unknown>;
}

export function toRuleView(r: Rule): RuleView {
  const v: RuleView = { id: r.id, description: r.description, effect: r.effect, priority: r.priority, enabled: r.enabled, match: { ...r.match } };
  if (r.not_before) v.not_before = r.not_before;
  if (r.expires_at) v.expires_at = r.expires_at;
  return v;
}
