/** Shapes shared by the page modules. */
import type { Services } from "../services";
import type { Handler, RouteOptions } from "./http";

export interface Route { method: "GET" | "POST"; path: string; handler: Handler; opts?: RouteOptions }
export interface UiDeps { s: Services }

/** Fixed notices chosen by key, so no request text is ever reflected as a message. */
export const NOTICES: Record<string, string> = {
  created: "Account created.",
  status: "Status updated.",
  profile: "Name and email saved.",
  deleted: "Account deleted.",
  password: "Password changed. Other sessions were signed out.",
  password_reset: "Password reset. The account's tokens were revoked.",
  totp_removed: "TOTP removed.",
  totp_enabled: "Two-factor authentication is now on.",
  roles: "Roles updated.",
  tags: "Tags updated.",
  token_revoked: "Token revoked.",
  delegate_added: "Delegate added.",
  delegate_removed: "Delegate removed.",
  pgcreds_saved: "Postgres credentials saved.",
  grant_added: "Access granted.",
  grant_removed: "Access revoked.",
  rule_created: "Rule created.",
  rule_updated: "Rule updated.",
  rule_deleted: "Rule deleted.",
  unsealed: "Vault unsealed.",
  sealed: "Vault sealed.",
  logged_out: "You are signed out.",
  oidc_client_deleted: "Application deleted; its sessions ended.",
  oidc_grant_revoked: "Signed out of the application.",
  welcome: "Welcome! You are signed in. Add a passkey or an authenticator app below to protect your account.",
  passkey_added: "Passkey added.",
  passkey_renamed: "Passkey renamed.",
  passkey_removed: "Passkey removed.",
};

export function notice(rc: { url: URL }): string | null {
  const k = rc.url.searchParams.get("notice");
  return k ? NOTICES[k] ?? null : null;
}

/** Form text field, trimmed; "" when absent. */
export function str(form: URLSearchParams, name: string): string {
  return (form.get(name) ?? "").trim();
}

/** Comma/space/newline separated list. */
export function list(form: URLSearchParams, name: string): string[] {
  return str(form, name).split(/[\s,]+/).filter((x) => x !== "");
}
