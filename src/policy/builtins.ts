/**
 * Compiled-in rules (negative ids). They reproduce the access model of SPEC §2/§4 and
 * cannot be changed or disabled through the API. Stored deny rules beat them too
 * (deny wins), so an admin can narrow even the built-in grants.
 */
import type { Rule } from "./types";

const MANAGE = ["tokens:issue", "tokens:revoke", "tokens:read", "pgcreds:read", "pgcreds:grant", "accounts:read"] as const;

export const BUILTIN_RULES: readonly Rule[] = Object.freeze([
  {
    id: -1, description: "admins may do everything", effect: "allow", priority: 0, enabled: true,
    match: { roles: ["admin"] },
  },
  {
    id: -2, description: "any account may read itself and its own tokens", effect: "allow", priority: 0, enabled: true,
    match: { actions: ["accounts:read", "tokens:read"], resource_types: ["account"], owner_is_subject: true },
  },
  {
    id: -3, description: "any account may manage its own password, TOTP, passkeys and tokens", effect: "allow", priority: 0, enabled: true,
    match: { actions: ["password:change", "totp:enroll", "webauthn:manage", "tokens:revoke"], resource_types: ["account", "token"], owner_is_subject: true },
  },
  {
    id: -4, description: "a human holding a role named like a system account may manage it", effect: "allow", priority: 0, enabled: true,
    match: { account_types: ["human"], actions: [...MANAGE], resource_types: ["account", "token", "pgcreds"], subject_has_service_role: true },
  },
  {
    id: -5, description: "a token delegate may manage that system account", effect: "allow", priority: 0, enabled: true,
    match: { account_types: ["human"], actions: [...MANAGE], resource_types: ["account", "token", "pgcreds"], subject_is_delegate: true },
  },
  {
    id: -6, description: "a system account may read its own Postgres credentials", effect: "allow", priority: 0, enabled: true,
    match: { account_types: ["system"], actions: ["pgcreds:read"], resource_types: ["pgcreds"], owner_is_subject: true },
  },
  {
    id: -7, description: "a grantee may read credential metadata (never the password)", effect: "allow", priority: 0, enabled: true,
    match: { actions: ["pgcreds:read_metadata"], resource_types: ["pgcreds"], subject_is_grantee: true },
  },
  {
    id: -8, description: "whoever may read a credential may read its metadata", effect: "allow", priority: 0, enabled: true,
    match: { actions: ["pgcreds:read_metadata"], resource_types: ["pgcreds"], subject_has_service_role: true, account_types: ["human"] },
  },
  {
    id: -9, description: "a token delegate may read credential metadata", effect: "allow", priority: 0, enabled: true,
    match: { actions: ["pgcreds:read_metadata"], resource_types: ["pgcreds"], subject_is_delegate: true },
  },
  {
    id: -10, description: "a system account may read its own credential metadata", effect: "allow", priority: 0, enabled: true,
    match: { actions: ["pgcreds:read_metadata"], resource_types: ["pgcreds"], owner_is_subject: true, account_types: ["system"] },
  },
  {
    // A manager (role-named human, delegate) could otherwise mint an admin token by
    // managing a system account that holds admin: only an admin may issue it.
    // Likewise an invite/reset link is a way into the account (SPEC §15): whoever a stored
    // rule lets invite may never make one for an admin unless they are an admin.
    id: -11, description: "only an admin may issue a token or an invite link for an account that holds admin", effect: "deny", priority: 0, enabled: true,
    match: { actions: ["tokens:issue", "accounts:invite"], resource_types: ["token", "account"], escalates_to_admin: true },
  },
  {
    // SPEC §16: [[sso.apps]] roles (or any account when an app names none). Stored deny
    // rules can still close an app (resource type "app"; `services` matches its host).
    id: -12, description: "an account holding one of an app's roles (any account if it names none) may open it", effect: "allow", priority: 1, enabled: true,
    match: { actions: ["apps:access"], resource_types: ["app"], subject_has_app_role: true },
  },
] satisfies Rule[]);
