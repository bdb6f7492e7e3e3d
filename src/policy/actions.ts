/**
 * Every action the policy engine decides (SPEC §5, plus the self-service and
 * read actions the API needs; all documented in docs/ARCHITECTURE.md).
 */
export const ACTIONS = [
  "accounts:read",
  "accounts:create",
  "accounts:update",
  "accounts:delete",
  "roles:write",
  "tags:write",
  "tokens:issue",
  "tokens:revoke",
  "tokens:read",
  "delegates:read",
  "delegates:write",
  "pgcreds:read",
  "pgcreds:read_metadata",
  "pgcreds:write",
  "pgcreds:grant",
  "audit:read",
  "policy:read",
  "policy:write",
  "totp:remove",
  "totp:enroll",
  "password:change",
  "vault:seal",
  "oidc_clients:read",
  "oidc_clients:write",
  // SPEC §15 (issue 20): invite/reset links; passkeys and security keys (own, or any account's for an admin).
  "accounts:invite",
  "webauthn:manage",
  // SPEC §16: open an app behind the reverse proxy (forward-auth); resource type "app".
  "apps:access",
] as const;

export type Action = (typeof ACTIONS)[number];

export const RESOURCE_TYPES = ["account", "token", "pgcreds", "audit", "policy", "vault", "app", "oidc_client"] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export function isAction(s: string): s is Action {
  return (ACTIONS as readonly string[]).includes(s);
}
