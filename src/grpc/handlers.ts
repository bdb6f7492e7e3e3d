/**
 * Every mcias.v1 RPC: its rule (auth, limiter, sealed) and a handler that turns the
 * message into the REST body shape, checks it with the SAME schema REST uses, calls
 * the SAME service function and returns the REST response shape (converted to the
 * message by the server). No rule, SQL or audit row lives here.
 */
import type { Static, TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { AppError } from "../errors";
import type { Ctx, Services } from "../services";
import type { AuditEventView } from "../services/views";
import { CreateAccountBody, GrantRoleBody, ListAccountsQuery, RoleParams, Roles, SetPasswordBody, Tags, UpdateAccountBody } from "../schemas/accounts";
import { AudienceBody, ChangePasswordBody, LoginBody, StepUpBody, TotpConfirmBody, ValidateBody } from "../schemas/auth";
import { IdParams } from "../schemas/common";
import { SetPgCredBody } from "../schemas/pgcreds";
import { CreateOidcClientBody, OidcClientParams, OidcGrantParams, UpdateOidcClientBody } from "../schemas/oidc";
import {
  AcceptInviteBody, AccountCredentialParams, CredentialParams, InviteParams, RegenerateRecoveryCodesBody, RenameCredentialBody,
} from "../schemas/onboarding";
import { CreateRuleBody, EvaluateBody, UpdateRuleBody } from "../schemas/policy";
import { GranteeParams } from "../schemas/serviceAccounts";
import { fromTimestamp, type Timestamp } from "./convert";
import type { RpcRule } from "./chain";

/** A decoded request message (plain object; absent fields are undefined). */
export type Msg = Record<string, unknown>;

export interface Rpc extends RpcRule {
  /** The REST operation this RPC mirrors ("METHOD /path" as in /docs/json); checked by test/e2e/grpc-drift.test.ts. */
  rest: string;
  run(s: Services, ctx: Ctx, req: Msg): unknown;
}

/** REST operations served by a standard gRPC service instead of an mcias.v1 RPC. */
export const STANDARD_TWINS: Record<string, string> = {
  "GET /v1/health": "grpc.health.v1.Health/Check",
};

/** mcias.v1 RPCs with no REST twin, and why. */
export const GRPC_ONLY: Record<string, string> = {
  "mcias.v1.AuditService/Watch": "a live stream; REST clients poll GET /v1/audit",
};

/**
 * REST operations deliberately NOT mirrored over gRPC, and why: only routes that exist
 * for browsers or reverse proxies. Everything else in /docs/json must have an RPC.
 */
export const REST_ONLY: Record<string, string> = {
  "GET /v1/authz/forward-auth": "reverse-proxy subrequest (nginx auth_request, Traefik/Caddy forward_auth): HTTP by nature",
  // WebAuthn ceremonies: the options go to navigator.credentials in a browser and the
  // answer comes back from it, bound to the web origin; no gRPC client can take part.
  "POST /v1/auth/webauthn/register/options": "WebAuthn ceremony: browser only (navigator.credentials, origin-bound)",
  "POST /v1/auth/webauthn/register/verify": "WebAuthn ceremony: browser only (navigator.credentials, origin-bound)",
  "POST /v1/auth/webauthn/login/options": "WebAuthn ceremony: browser only (navigator.credentials, origin-bound)",
  "POST /v1/auth/webauthn/login/verify": "WebAuthn ceremony: browser only (navigator.credentials, origin-bound)",
};

/** Checks `v` against a REST schema; the message names the field, never its value. */
export function check<T extends TSchema>(schema: T, v: unknown): Static<T> {
  if (Value.Check(schema, v)) return v as Static<T>;
  const first = Value.Errors(schema, v).First();
  const path = first?.path ? first.path : "body";
  const why = (first?.message ?? "invalid value").replace(/\s+/g, " ").slice(0, 120);
  throw new AppError("bad_request", `invalid ${path}: ${why}`);
}

/** Drops the named list fields when empty (proto3 cannot tell an empty list from an absent one). */
function nonEmpty(m: Msg, lists: string[]): Msg {
  for (const k of lists) if (Array.isArray(m[k]) && (m[k] as unknown[]).length === 0) delete m[k];
  return m;
}

/** The listed fields that are present. */
function pick(req: Msg, ...keys: string[]): Msg {
  const out: Msg = {};
  for (const k of keys) if (req[k] !== undefined) out[k] = req[k];
  return out;
}

const id = (req: Msg) => check(IdParams, pick(req, "id")).id;
const grantee = (req: Msg) => check(GranteeParams, pick(req, "id", "grantee_id"));
const time = (v: unknown) => (v && typeof v === "object" ? fromTimestamp(v as Timestamp) : undefined);

/** A policy match from a message: empty repeated fields mean "absent" (match anything). */
function match(m: unknown): Msg | undefined {
  if (!m || typeof m !== "object") return undefined;
  const out: Msg = {};
  for (const [k, v] of Object.entries(m as Msg)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}

const OPEN = { auth: false } as const;
const BEARER = { auth: true } as const;

export const RPCS: Record<string, Record<string, Rpc>> = {
  "mcias.v1.AuthService": {
    Login: {
      rest: "POST /v1/auth/login", ...OPEN, limiter: "login",
      run: async (s, ctx, req) => {
        const r = await s.auth.login(ctx, check(LoginBody, pick(req, "username", "password", "totp_code", "audience")));
        return { token: r.token, expires_at: r.expires_at };
      },
    },
    Logout: { rest: "POST /v1/auth/logout", ...BEARER, run: (s, ctx) => { s.auth.logout(ctx); return {}; } },
    Renew: {
      rest: "POST /v1/auth/renew", ...BEARER,
      run: async (s, ctx, req) => {
        const r = await s.auth.renew(ctx, check(AudienceBody, pick(req, "audience")));
        return { token: r.token, expires_at: r.expires_at };
      },
    },
    Me: { rest: "GET /v1/auth/me", ...BEARER, run: (s, ctx) => s.auth.me(ctx) },
    ChangePassword: {
      rest: "PUT /v1/auth/password", ...BEARER,
      run: async (s, ctx, req) => { await s.auth.changePassword(ctx, check(ChangePasswordBody, pick(req, "current_password", "new_password"))); return {}; },
    },
    TotpEnroll: { rest: "POST /v1/auth/totp/enroll", ...BEARER, run: (s, ctx, req) => s.auth.totpEnroll(ctx, check(StepUpBody, pick(req, "current_password"))) },
    TotpConfirm: { rest: "POST /v1/auth/totp/confirm", ...BEARER, run: (s, ctx, req) => s.auth.totpConfirm(ctx, check(TotpConfirmBody, pick(req, "code")).code) },
    RegenerateRecoveryCodes: {
      rest: "POST /v1/auth/recovery-codes", ...BEARER,
      run: (s, ctx, req) => s.auth.regenerateRecoveryCodes(ctx, check(RegenerateRecoveryCodesBody, pick(req, "current_password"))),
    },
    ListWebauthnCredentials: { rest: "GET /v1/auth/webauthn/credentials", ...BEARER, run: (s, ctx) => ({ credentials: s.webauthn.list(ctx) }) },
    RenameWebauthnCredential: {
      rest: "PATCH /v1/auth/webauthn/credentials/{id}", ...BEARER,
      run: (s, ctx, req) => s.webauthn.rename(ctx, check(CredentialParams, pick(req, "id")).id, check(RenameCredentialBody, pick(req, "name")).name),
    },
    RemoveWebauthnCredential: {
      rest: "DELETE /v1/auth/webauthn/credentials/{id}", ...BEARER,
      run: (s, ctx, req) => { s.webauthn.remove(ctx, check(CredentialParams, pick(req, "id")).id); return {}; },
    },
    AcceptInvite: {
      rest: "POST /v1/invites/{token}/accept", ...OPEN, limiter: "login",
      run: async (s, ctx, req) => {
        const p = check(InviteParams, pick(req, "token"));
        const b = check(AcceptInviteBody, pick(req, "password", "audience"));
        const r = await s.invites.accept(ctx, p.token, b.password, { audience: b.audience });
        return { token: r.token, expires_at: r.expires_at };
      },
    },
  },
  "mcias.v1.TokenService": {
    ValidateToken: {
      rest: "POST /v1/token/validate", ...OPEN, limiter: "validate",
      run: (s, _ctx, req) => {
        const b = check(ValidateBody, pick(req, "token", "audience"));
        return s.tokens.validate(b.token, b.audience);
      },
    },
    RevokeToken: {
      rest: "DELETE /v1/token/{jti}", ...BEARER,
      run: (s, ctx, req) => {
        const jti = typeof req.jti === "string" ? req.jti : "";
        if (jti === "" || jti.length > 64) throw new AppError("bad_request", "invalid jti");
        s.tokens.revoke(ctx, jti);
        return {};
      },
    },
    GetPublicKey: { rest: "GET /v1/keys/public", ...OPEN, run: (s) => s.tokens.publicJwk() },
    GetJwks: { rest: "GET /.well-known/jwks.json", ...OPEN, run: (s) => ({ keys: [s.tokens.publicJwk()] }) },
    IssueServiceToken: { rest: "POST /v1/accounts/{id}/token", ...BEARER, run: (s, ctx, req) => s.serviceAccounts.issueToken(ctx, id(req), check(AudienceBody, pick(req, "audience"))) },
    ListTokens: { rest: "GET /v1/accounts/{id}/tokens", ...BEARER, run: (s, ctx, req) => ({ tokens: s.tokens.list(ctx, id(req)) }) },
    ListDelegates: { rest: "GET /v1/accounts/{id}/token/delegates", ...BEARER, run: (s, ctx, req) => ({ grants: s.serviceAccounts.listDelegates(ctx, id(req)) }) },
    GrantDelegate: {
      rest: "POST /v1/accounts/{id}/token/delegates", ...BEARER,
      run: (s, ctx, req) => { const g = grantee(req); return s.serviceAccounts.grantDelegate(ctx, g.id, g.grantee_id); },
    },
    RevokeDelegate: {
      rest: "DELETE /v1/accounts/{id}/token/delegates/{grantee_id}", ...BEARER,
      run: (s, ctx, req) => { const g = grantee(req); s.serviceAccounts.revokeDelegate(ctx, g.id, g.grantee_id); return {}; },
    },
  },
  "mcias.v1.AccountService": {
    CreateAccount: {
      rest: "POST /v1/accounts", ...BEARER,
      run: (s, ctx, req) => {
        const body = pick(req, "username", "email", "display_name", "account_type", "password", "roles");
        if (Array.isArray(body.roles) && body.roles.length === 0) delete body.roles;
        return s.accounts.create(ctx, check(CreateAccountBody, body));
      },
    },
    ListAccounts: { rest: "GET /v1/accounts", ...BEARER, run: (s, ctx, req) => ({ accounts: s.accounts.list(ctx, check(ListAccountsQuery, pick(req, "status", "account_type", "username"))) }) },
    GetAccount: { rest: "GET /v1/accounts/{id}", ...BEARER, run: (s, ctx, req) => s.accounts.get(ctx, id(req)) },
    UpdateAccount: {
      rest: "PATCH /v1/accounts/{id}", ...BEARER,
      run: (s, ctx, req) => {
        const accountId = id(req);
        const raw: Msg = { ...pick(req, "status", "email", "display_name") };
        if (req.clear_email) raw.email = null;
        if (req.clear_display_name) raw.display_name = null;
        const body = check(UpdateAccountBody, raw);
        // The same sequence as the REST route.
        let a = s.accounts.get(ctx, accountId);
        if (body.email !== undefined || body.display_name !== undefined) {
          a = s.accounts.updateProfile(ctx, accountId, { email: body.email, display_name: body.display_name });
        }
        if (body.status !== undefined) a = s.accounts.updateStatus(ctx, accountId, body.status);
        return a;
      },
    },
    DeleteAccount: { rest: "DELETE /v1/accounts/{id}", ...BEARER, run: (s, ctx, req) => { s.accounts.delete(ctx, id(req)); return {}; } },
    SetPassword: {
      rest: "PUT /v1/accounts/{id}/password", ...BEARER,
      run: async (s, ctx, req) => { await s.accounts.setPassword(ctx, id(req), check(SetPasswordBody, pick(req, "password")).password); return {}; },
    },
    RemoveTotp: { rest: "DELETE /v1/accounts/{id}/totp", ...BEARER, run: (s, ctx, req) => { s.accounts.removeTotp(ctx, id(req)); return {}; } },
    GetRoles: { rest: "GET /v1/accounts/{id}/roles", ...BEARER, run: (s, ctx, req) => ({ roles: s.accounts.getRoles(ctx, id(req)) }) },
    SetRoles: { rest: "PUT /v1/accounts/{id}/roles", ...BEARER, run: (s, ctx, req) => ({ roles: s.accounts.setRoles(ctx, id(req), check(Roles, { roles: req.roles ?? [] }).roles) }) },
    GrantRole: { rest: "POST /v1/accounts/{id}/roles", ...BEARER, run: (s, ctx, req) => ({ roles: s.accounts.grantRole(ctx, id(req), check(GrantRoleBody, pick(req, "role")).role) }) },
    RevokeRole: {
      rest: "DELETE /v1/accounts/{id}/roles/{role}", ...BEARER,
      run: (s, ctx, req) => { const p = check(RoleParams, pick(req, "id", "role")); return { roles: s.accounts.revokeRole(ctx, p.id, p.role) }; },
    },
    GetTags: { rest: "GET /v1/accounts/{id}/tags", ...BEARER, run: (s, ctx, req) => ({ tags: s.accounts.getTags(ctx, id(req)) }) },
    SetTags: { rest: "PUT /v1/accounts/{id}/tags", ...BEARER, run: (s, ctx, req) => ({ tags: s.accounts.setTags(ctx, id(req), check(Tags, { tags: req.tags ?? [] }).tags) }) },
    CreateInvite: {
      rest: "POST /v1/accounts/{id}/invite", ...BEARER,
      run: (s, ctx, req) => { const link = s.invites.create(ctx, id(req)); return { url: link.url, expires_at: link.expires_at }; },
    },
    ListAccountWebauthnCredentials: { rest: "GET /v1/accounts/{id}/webauthn/credentials", ...BEARER, run: (s, ctx, req) => ({ credentials: s.webauthn.list(ctx, id(req)) }) },
    RemoveAccountWebauthnCredential: {
      rest: "DELETE /v1/accounts/{id}/webauthn/credentials/{cred_id}", ...BEARER,
      run: (s, ctx, req) => { const p = check(AccountCredentialParams, pick(req, "id", "cred_id")); s.webauthn.remove(ctx, p.cred_id, { accountId: p.id }); return {}; },
    },
  },
  "mcias.v1.PgCredsService": {
    ListPgCreds: { rest: "GET /v1/pgcreds", ...BEARER, run: (s, ctx) => ({ creds: s.pgcreds.list(ctx) }) },
    GetPgCreds: { rest: "GET /v1/accounts/{id}/pgcreds", ...BEARER, run: (s, ctx, req) => s.pgcreds.get(ctx, id(req)) },
    SetPgCreds: {
      rest: "PUT /v1/accounts/{id}/pgcreds", ...BEARER,
      run: (s, ctx, req) => {
        s.pgcreds.set(ctx, id(req), check(SetPgCredBody, pick(req, "host", "port", "database", "username", "password")));
        return {};
      },
    },
    ListPgCredsAccess: { rest: "GET /v1/accounts/{id}/pgcreds/access", ...BEARER, run: (s, ctx, req) => ({ grants: s.pgcreds.listGrants(ctx, id(req)) }) },
    GrantPgCredsAccess: { rest: "POST /v1/accounts/{id}/pgcreds/access", ...BEARER, run: (s, ctx, req) => { const g = grantee(req); return s.pgcreds.grant(ctx, g.id, g.grantee_id); } },
    RevokePgCredsAccess: { rest: "DELETE /v1/accounts/{id}/pgcreds/access/{grantee_id}", ...BEARER, run: (s, ctx, req) => { const g = grantee(req); s.pgcreds.revokeGrant(ctx, g.id, g.grantee_id); return {}; } },
  },
  "mcias.v1.PolicyService": {
    ListRules: { rest: "GET /v1/policy/rules", ...BEARER, run: (s, ctx) => ({ rules: s.policy.list(ctx) }) },
    CreateRule: {
      rest: "POST /v1/policy/rules", ...BEARER,
      run: (s, ctx, req) => {
        const body: Msg = { ...pick(req, "description", "effect", "priority", "enabled"), not_before: time(req.not_before), expires_at: time(req.expires_at), match: match(req.match) ?? {} };
        for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
        return s.policy.create(ctx, check(CreateRuleBody, body));
      },
    },
    GetRule: { rest: "GET /v1/policy/rules/{id}", ...BEARER, run: (s, ctx, req) => s.policy.get(ctx, String(req.id ?? 0)) },
    UpdateRule: {
      rest: "PATCH /v1/policy/rules/{id}", ...BEARER,
      run: (s, ctx, req) => {
        const body: Msg = {
          ...pick(req, "description", "effect", "priority", "enabled"),
          not_before: req.clear_not_before ? null : time(req.not_before),
          expires_at: req.clear_expires_at ? null : time(req.expires_at),
          match: match(req.match),
        };
        for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
        return s.policy.update(ctx, String(req.id ?? 0), check(UpdateRuleBody, body));
      },
    },
    DeleteRule: { rest: "DELETE /v1/policy/rules/{id}", ...BEARER, run: (s, ctx, req) => { s.policy.remove(ctx, String(req.id ?? 0)); return {}; } },
    Evaluate: {
      rest: "POST /v1/policy/evaluate", ...BEARER,
      run: (s, ctx, req) => {
        const resource = req.resource && typeof req.resource === "object" ? pick(req.resource as Msg, "type", "id") : undefined;
        return s.policy.evaluate(ctx, check(EvaluateBody, { ...pick(req, "subject_id", "action"), ...(resource ? { resource } : {}) }));
      },
    },
  },
  "mcias.v1.OidcService": {
    CreateClient: {
      rest: "POST /v1/oidc/clients", ...BEARER,
      run: (s, ctx, req) => s.oidc.clients.create(ctx, check(CreateOidcClientBody, nonEmpty(pick(req, "name", "redirect_uris", "post_logout_redirect_uris", "public", "allowed_roles", "id_token_alg"), ["post_logout_redirect_uris", "allowed_roles"]))),
    },
    ListClients: { rest: "GET /v1/oidc/clients", ...BEARER, run: (s, ctx) => ({ clients: s.oidc.clients.list(ctx) }) },
    GetClient: { rest: "GET /v1/oidc/clients/{id}", ...BEARER, run: (s, ctx, req) => s.oidc.clients.get(ctx, check(OidcClientParams, pick(req, "id")).id) },
    UpdateClient: {
      rest: "PATCH /v1/oidc/clients/{id}", ...BEARER,
      run: (s, ctx, req) => {
        const p = check(OidcClientParams, pick(req, "id"));
        const body = nonEmpty(pick(req, "name", "redirect_uris", "post_logout_redirect_uris", "allowed_roles", "id_token_alg"), ["redirect_uris", "post_logout_redirect_uris", "allowed_roles"]);
        if (req.clear_post_logout_redirect_uris) body.post_logout_redirect_uris = [];
        if (req.clear_allowed_roles) body.allowed_roles = [];
        return s.oidc.clients.update(ctx, p.id, check(UpdateOidcClientBody, body));
      },
    },
    DeleteClient: { rest: "DELETE /v1/oidc/clients/{id}", ...BEARER, run: (s, ctx, req) => { s.oidc.clients.remove(ctx, check(OidcClientParams, pick(req, "id")).id); return {}; } },
    RotateClientSecret: { rest: "POST /v1/oidc/clients/{id}/secret", ...BEARER, run: (s, ctx, req) => s.oidc.clients.rotateSecret(ctx, check(OidcClientParams, pick(req, "id")).id) },
    ListGrants: { rest: "GET /v1/oidc/grants", ...BEARER, run: (s, ctx) => ({ grants: s.oidc.grants.mine(ctx) }) },
    RevokeGrant: { rest: "DELETE /v1/oidc/grants/{id}", ...BEARER, run: (s, ctx, req) => { s.oidc.grants.revoke(ctx, check(OidcGrantParams, pick(req, "id")).id); return {}; } },
  },
  "mcias.v1.AuditService": {
    Query: {
      rest: "GET /v1/audit", ...BEARER,
      run: (s, ctx, req) => {
        const page = s.auditQuery.query(ctx, {
          account: req.account as string | undefined, type: req.type as string | undefined,
          since: time(req.since), until: time(req.until), limit: req.limit as number | undefined, cursor: req.cursor as string | undefined,
        });
        return { events: page.events.map(auditEvent), next_cursor: page.next_cursor };
      },
    },
    Verify: { rest: "GET /v1/audit/verify", ...BEARER, run: (s, ctx) => s.auditQuery.verify(ctx) },
  },
  "mcias.v1.VaultService": {
    Status: { rest: "GET /v1/vault/status", ...OPEN, openWhileSealed: true, run: (s) => s.vault.status() },
    Unseal: {
      rest: "POST /v1/vault/unseal", ...OPEN, openWhileSealed: true, limiter: "unseal",
      run: (s, ctx, req) => {
        const passphrase = typeof req.passphrase === "string" ? req.passphrase : "";
        if (passphrase.length < 1 || passphrase.length > 1024) throw new AppError("bad_request", "invalid /passphrase: expected 1..1024 characters");
        return s.vault.unseal(ctx, passphrase);
      },
    },
    Seal: { rest: "POST /v1/vault/seal", ...BEARER, run: (s, ctx) => s.vault.seal(ctx) },
  },
};

/** Audit events carry their details object as JSON text (details_json). */
export function auditEvent(e: AuditEventView): Msg {
  const { details, ...rest } = e;
  return { ...rest, details_json: JSON.stringify(details ?? {}) };
}
