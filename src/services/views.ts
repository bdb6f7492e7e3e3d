/**
 * One view function per entity: the only place that decides what of a row leaves
 * the server. Nothing else shapes a response from a database row.
 */
import type { AccountRow } from "../store/accounts";
import type { AuditRow } from "../store/audit";
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
