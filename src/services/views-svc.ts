/**
 * Views for service-account delegation and Postgres credentials (issue #5). Like
 * views.ts, the only place that decides what of these rows leaves the server.
 */
import type { GrantRow } from "../store/delegates";
import type { PgCredRow } from "../store/pgcreds";

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
