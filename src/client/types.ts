/**
 * Request and response shapes of the MCIAS REST API (SPEC §3), as plain TypeScript.
 *
 * These are written out by hand instead of derived with `typeof Schema.static` from
 * `src/schemas/*`: those modules build their schemas with Elysia's `t` at import
 * time, and a published client must not depend on (or type-reference) the server's
 * framework. `test/e2e/client.test.ts` checks at compile time that each type here and
 * the server schema it mirrors are assignable both ways, so the two cannot drift.
 */

/** RFC 3339 UTC timestamp, e.g. `2026-01-02T03:04:05Z`. */
export type Time = string;

/** Every `code` the server puts in an error body. */
export type ErrorCode =
  | "bad_request" | "unauthorized" | "forbidden" | "not_found" | "conflict"
  | "payload_too_large" | "rate_limited" | "vault_sealed" | "internal";

/** The error body of every failed call: `{"error","code"}`. */
export interface ErrorBody { error: string; code: ErrorCode }

/** `human` accounts log in with a password; `system` accounts only hold tokens. */
export type AccountType = "human" | "system";
/** Lifecycle state of an account; `deleted` is a soft delete. */
export type AccountStatus = "active" | "inactive" | "deleted";

/** The only shape accounts take in responses. */
export interface Account {
  id: string;
  username: string;
  account_type: AccountType;
  status: AccountStatus;
  roles: string[];
  tags: string[];
  totp_enabled: boolean;
  created_at: Time;
  updated_at: Time;
  /** Human accounts only; unique case-insensitively; null when unset. */
  email: string | null;
  display_name: string | null;
}

/** `POST /v1/accounts` body. */
export interface CreateAccountRequest {
  /** Capitals are folded to lower case. */
  username: string;
  account_type: AccountType;
  email?: string;
  display_name?: string;
  /** Humans only: 12–256 characters, not the username. */
  password?: string;
  roles?: string[];
}

/** `GET /v1/accounts` filters. */
export interface ListAccountsQuery {
  status?: AccountStatus;
  account_type?: AccountType;
  /** Only the account with this username (any status). */
  username?: string;
}

/** `PATCH /v1/accounts/{id}` body; `null` clears email or display_name. */
export interface UpdateAccountRequest { status?: "active" | "inactive"; email?: string | null; display_name?: string | null }

/** `POST /v1/accounts/{id}/invite`: a single-use link (an invite, or a reset link for an account with a password). */
export interface InviteLink { url: string; expires_at: Time }

/** `POST /v1/auth/totp/confirm` and `POST /v1/auth/recovery-codes`: 10 one-time codes, shown once. */
export interface RecoveryCodes { recovery_codes: string[] }

/** A passkey or security key (public data only). */
export interface WebauthnCredential { id: string; name: string; created_at: Time; last_used_at: Time | null }

/** A freshly issued bearer token (`login`, `renew`). */
export interface TokenResponse { token: string; expires_at: Time }

/** A system account's token from `POST /v1/accounts/{id}/token`. */
export interface IssuedToken { token: string; expires_at: Time; jti: string }

/** One row of `GET /v1/accounts/{id}/tokens`; never the token itself. */
export interface TokenInfo { jti: string; issued_at: Time; expires_at: Time; revoked_at: Time | null }

/** `POST /v1/token/validate` answer for a good token. */
export interface ValidToken {
  valid: true;
  sub: string;
  username: string;
  account_type: AccountType;
  roles: string[];
  jti: string;
  issued_at: Time;
  expires_at: Time;
}
/** `POST /v1/token/validate` answer: a valid token's claims, or `{valid:false}`. */
export type ValidateResponse = ValidToken | { valid: false };

/** `POST /v1/auth/totp/enroll` answer (base32 secret, SHA1, 6 digits, 30 s). */
export interface TotpEnrollment { secret: string; otpauth_uri: string }

/** The token-signing public key (`GET /v1/keys/public`). */
export interface Jwk { kty: "OKP"; crv: "Ed25519"; x: string; kid: string; use: "sig"; alg: "EdDSA" }
/** `GET /.well-known/jwks.json`. */
export interface JwkSet { keys: Jwk[] }

/** `GET /v1/health`: `ok`, or `sealed` (HTTP 503) while the vault is sealed. */
export interface Health { status: "ok" | "sealed" }
/** `GET /v1/vault/status`, `seal`, `unseal`. */
export interface VaultStatus { sealed: boolean }

/** A grant: a token delegate of a system account, or a reader of its Postgres credential metadata. */
export interface Grant { grantee_id: string; username: string; granted_at: Time }
/** One entry of `GET /v1/accounts/{id}/token/delegates`. */
export type Delegate = Grant;

/** Postgres connection metadata; `password` only for readers allowed to see it. */
export interface PgCreds { host: string; port: number; database: string; username: string; password?: string }
/** `PUT /v1/accounts/{id}/pgcreds` body. */
export interface SetPgCredsRequest { host: string; port: number; database: string; username: string; password: string }
/** One entry of `GET /v1/pgcreds`: a credential the caller may read (never the password). */
export interface PgCredsSummary { account_id: string; service: string; host: string; port: number; database: string; username: string }
/** One entry of `GET /v1/accounts/{id}/pgcreds/access`. */
export type PgCredsGrant = Grant;

/** Action strings the policy engine decides (SPEC §5). */
export type PolicyAction = string;
/** Resource kinds a policy rule or evaluation names. */
export type ResourceType = "account" | "token" | "pgcreds" | "audit" | "policy" | "vault";

/** Match conditions of a stored rule; every listed field must hold. */
export interface RuleMatch {
  roles?: string[];
  account_types?: AccountType[];
  subject_ids?: string[];
  actions?: PolicyAction[];
  resource_types?: ResourceType[];
  owner_is_subject?: boolean;
  services?: string[];
  required_tags?: string[];
}

/** A rule's match as the server shows it: built-in rules also use relationship predicates. */
export interface RuleMatchView extends RuleMatch {
  subject_has_service_role?: boolean;
  subject_is_delegate?: boolean;
  subject_is_grantee?: boolean;
  escalates_to_admin?: boolean;
  subject_has_app_role?: boolean;
}

/** A policy rule (stored rules have positive ids, built-ins negative ones). */
export interface PolicyRule {
  id: number;
  description: string;
  effect: "allow" | "deny";
  /** Lower is reported first when several rules match. */
  priority: number;
  enabled: boolean;
  not_before?: Time;
  expires_at?: Time;
  match: RuleMatchView;
}
/** `POST /v1/policy/rules` body. */
export interface CreatePolicyRuleRequest {
  description: string;
  effect: "allow" | "deny";
  /** Integer 0-10000, default 100. */
  priority?: number;
  enabled?: boolean;
  not_before?: Time | null;
  expires_at?: Time | null;
  match: RuleMatch;
}
/** `PATCH /v1/policy/rules/{id}` body: any subset of the fields; `null` clears a time. */
export type UpdatePolicyRuleRequest = Partial<CreatePolicyRuleRequest>;

/** `POST /v1/policy/evaluate` body. */
export interface EvaluateRequest { subject_id: string; action: PolicyAction; resource: { type: ResourceType; id?: string } }
/** `POST /v1/policy/evaluate` answer; `rule_id` is null for the default deny. */
export interface EvaluateResponse { effect: "allow" | "deny"; rule_id: number | null; rule_description: string | null }

/** `GET /v1/audit` filters. */
export interface AuditQuery {
  /** Account id or username (actor or target). */
  account?: string;
  type?: string;
  since?: Time;
  until?: Time;
  /** 1..500, default 100. */
  limit?: number;
  cursor?: string;
}
/** One audit row. */
export interface AuditEvent {
  id: number;
  time: Time;
  type: string;
  actor_id: string | null;
  actor: string | null;
  target_id: string | null;
  target: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}
/** One page of `GET /v1/audit`, newest first; pass `next_cursor` for the next page. */
export interface AuditPage { events: AuditEvent[]; next_cursor: string | null }

// ---- OpenID Connect (SPEC §16) -----------------------------------------------------

export type IdTokenAlg = "EdDSA" | "RS256" | "ES256";

/** A relying party registered with MCIAS's OIDC provider (never carries the secret). */
export interface OidcClient {
  id: string;
  name: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  public: boolean;
  allowed_roles: string[];
  id_token_alg: IdTokenAlg;
  created_at: string;
  updated_at: string;
}

export interface CreateOidcClientRequest {
  name: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  public?: boolean;
  allowed_roles?: string[];
  id_token_alg?: IdTokenAlg;
}

export type UpdateOidcClientRequest = Partial<Omit<CreateOidcClientRequest, "public">>;

/** The answer to a create or secret rotation: the secret appears here only. */
export interface OidcClientWithSecret { client: OidcClient; client_secret: string | null }

export interface OidcGrant { grant_id: string; client_id: string; client_name: string; created_at: string | null; expires_at: string | null }
