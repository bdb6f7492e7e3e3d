/**
 * McIasClient: a typed, HTTP-only client for the whole MCIAS REST API (SPEC §3).
 * Works under Bun (fetch with `tls.ca`) and Node ≥ 20 (undici `Agent` with
 * `connect.ca` as the dispatcher, loaded only when a custom CA is given).
 */
import {
  errorFromResponse, TransportError,
} from "./errors";
import type {
  Account, AuditPage, AuditQuery, CreateAccountRequest, CreatePolicyRuleRequest, Delegate,
  EvaluateRequest, EvaluateResponse, Grant, Health, IssuedToken, Jwk, JwkSet, ListAccountsQuery,
  PgCreds, PgCredsGrant, PgCredsSummary, PolicyRule, SetPgCredsRequest, TokenInfo,
  TokenResponse, TotpEnrollment, UpdateAccountRequest, UpdatePolicyRuleRequest,
  ValidateResponse, VaultStatus, InviteLink, RecoveryCodes, WebauthnCredential,
  OidcClient, CreateOidcClientRequest, UpdateOidcClientRequest, OidcClientWithSecret, OidcGrant,
} from "./types";

/** How to reach the server. */
export interface McIasClientOptions {
  /** Base URL, e.g. `https://auth.example.com:8443` (a trailing slash is ignored; `http://` only for loopback). */
  serverUrl: string;
  /** PEM of the CA (or self-signed certificate) to trust instead of the system store. */
  caCert?: string;
  /** Bearer token sent on authenticated calls; `login` and `renew` replace it. */
  token?: string;
  /** Per-request timeout in milliseconds (default 30 000). */
  timeoutMs?: number;
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type Query = Record<string, string | number | undefined>;
type Fetcher = (url: string, init: RequestInit) => Promise<Response>;

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
/** One path segment. "." and ".." survive encodeURIComponent and URL parsing would resolve them. */
const seg = (s: string) => {
  if (s === "" || s === "." || s === "..") throw new TypeError("invalid path parameter");
  return encodeURIComponent(s);
};

/** The MCIAS REST client. One instance per server; safe to share between calls. */
export class McIasClient {
  /** Base URL without a trailing slash. */
  readonly serverUrl: string;
  #token: string | undefined;
  readonly #ca: string | undefined;
  readonly #timeoutMs: number;
  #fetcher: Promise<Fetcher> | undefined;

  /** Creates a client; nothing is sent until the first call. */
  constructor(opts: McIasClientOptions) {
    let u: URL;
    try { u = new URL(opts.serverUrl); } catch { throw new TypeError("serverUrl is not a valid URL"); }
    // Tokens and passwords travel in every request: plain http only to this machine.
    const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
    if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback)) throw new TypeError("serverUrl must be an https:// URL");
    this.serverUrl = u.toString().replace(/\/+$/, "");
    this.#token = opts.token;
    this.#ca = opts.caCert;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** The bearer token in use (set by the constructor, `login`, `renew` or `setToken`). */
  get token(): string | undefined { return this.#token; }
  /** Replaces (or with `undefined`, clears) the bearer token. */
  setToken(token: string | undefined): void { this.#token = token; }

  // The fetch to use: Bun's own (it takes `tls.ca`), Node's global one without a
  // custom CA, and undici's fetch with an Agent that trusts the CA otherwise.
  #getFetcher(): Promise<Fetcher> {
    this.#fetcher ??= (async (): Promise<Fetcher> => {
      const ca = this.#ca;
      if (isBun) return (url, init) => fetch(url, ca ? ({ ...init, tls: { ca } } as RequestInit) : init);
      if (!ca) return (url, init) => fetch(url, init);
      const undici = await import("undici");
      const dispatcher = new undici.Agent({ connect: { ca } });
      return (url, init) => undici.fetch(url, { ...(init as object), dispatcher } as never) as unknown as Promise<Response>;
    })();
    return this.#fetcher;
  }

  /**
   * Sends one request and returns the parsed JSON body (undefined for 204).
   * Throws an `ApiError` subclass for an error status and `TransportError` when no
   * usable answer arrives. `auth` false sends no Authorization header.
   */
  async request<T>(method: Method, path: string, opts: { body?: unknown; query?: Query; auth?: boolean; allowStatus?: number[] } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    // Without a token the server answers 401, which surfaces as UnauthorizedError.
    if (opts.auth !== false && this.#token) headers.authorization = `Bearer ${this.#token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    let qs = "";
    if (opts.query) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(opts.query)) if (v !== undefined) p.set(k, String(v));
      const s = p.toString();
      if (s) qs = `?${s}`;
    }
    const fetcher = await this.#getFetcher();
    let res: Response;
    try {
      res = await fetcher(this.serverUrl + path + qs, { method, headers, body, signal: AbortSignal.timeout(this.#timeoutMs), redirect: "error" });
    } catch (e) {
      // The cause's message (e.g. a TLS verification failure) never holds the headers.
      const why = e instanceof Error ? e.message : "request failed";
      throw new TransportError(`${method} ${path}: ${why}`, { cause: e });
    }
    let text: string;
    try { text = await res.text(); } catch (e) {
      throw new TransportError(`${method} ${path}: reading the response failed`, { cause: e, status: res.status });
    }
    let parsed: unknown = undefined;
    if (text !== "") {
      try { parsed = JSON.parse(text); } catch {
        if (res.ok) throw new TransportError(`${method} ${path}: the response is not JSON (HTTP ${res.status})`, { status: res.status });
      }
    }
    if (res.ok || opts.allowStatus?.includes(res.status)) return parsed as T;
    throw errorFromResponse(res.status, parsed, res.headers.get("retry-after"));
  }

  // ---- system -------------------------------------------------------------------

  /** `GET /v1/health`: `{status:"ok"}`, or `{status:"sealed"}` (not an error) while sealed. */
  health(): Promise<Health> { return this.request("GET", "/v1/health", { auth: false, allowStatus: [503] }); }
  /** `GET /v1/keys/public`: the Ed25519 token-signing key as a JWK. */
  publicKey(): Promise<Jwk> { return this.request("GET", "/v1/keys/public", { auth: false }); }
  /** `GET /.well-known/jwks.json`: the JWK Set for local verification. */
  jwks(): Promise<JwkSet> { return this.request("GET", "/.well-known/jwks.json", { auth: false }); }

  // ---- auth ---------------------------------------------------------------------

  /**
   * `POST /v1/auth/login`; on success the client uses the new token from then on.
   * `audience` binds the token to one app (its `aud`, SPEC §18).
   */
  async login(username: string, password: string, totpCode?: string, audience?: string): Promise<TokenResponse> {
    const body = { username, password, ...(totpCode ? { totp_code: totpCode } : {}), ...(audience !== undefined ? { audience } : {}) };
    const r = await this.request<TokenResponse>("POST", "/v1/auth/login", { body, auth: false });
    this.#token = r.token;
    return r;
  }
  /** `POST /v1/auth/logout`: revokes the current token and forgets it. */
  async logout(): Promise<void> {
    await this.request<void>("POST", "/v1/auth/logout");
    this.#token = undefined;
  }
  /** `POST /v1/auth/renew`: a fresh token for the same session; the old one is revoked and replaced here. */
  async renew(audience?: string): Promise<TokenResponse> {
    const r = await this.request<TokenResponse>("POST", "/v1/auth/renew", audience !== undefined ? { body: { audience } } : {});
    this.#token = r.token;
    return r;
  }
  /** `GET /v1/auth/me`: the caller's account. */
  me(): Promise<Account> { return this.request("GET", "/v1/auth/me"); }
  /** `PUT /v1/auth/password` (humans): every other token of the account is revoked. */
  changePassword(currentPassword: string, newPassword: string): Promise<void> {
    return this.request("PUT", "/v1/auth/password", { body: { current_password: currentPassword, new_password: newPassword } });
  }
  /** `POST /v1/auth/totp/enroll`: a new TOTP secret, active only once confirmed. Needs the current password (step-up). */
  totpEnroll(currentPassword: string): Promise<TotpEnrollment> {
    return this.request("POST", "/v1/auth/totp/enroll", { body: { current_password: currentPassword } });
  }
  /** `POST /v1/auth/totp/confirm`: turns TOTP on with a current code; answers 10 recovery codes, shown once. */
  totpConfirm(code: string): Promise<RecoveryCodes> { return this.request("POST", "/v1/auth/totp/confirm", { body: { code } }); }
  /** `POST /v1/auth/recovery-codes`: a new set of recovery codes; the old set stops working. */
  regenerateRecoveryCodes(currentPassword: string): Promise<RecoveryCodes> {
    return this.request("POST", "/v1/auth/recovery-codes", { body: { current_password: currentPassword } });
  }
  /** `GET /v1/auth/webauthn/credentials`: the caller's passkeys and security keys. */
  listWebauthnCredentials(): Promise<WebauthnCredential[]> { return this.request("GET", "/v1/auth/webauthn/credentials"); }
  /** `PATCH /v1/auth/webauthn/credentials/{id}`. */
  renameWebauthnCredential(id: string, name: string): Promise<WebauthnCredential> {
    return this.request("PATCH", `/v1/auth/webauthn/credentials/${seg(id)}`, { body: { name } });
  }
  /** `DELETE /v1/auth/webauthn/credentials/{id}`. */
  removeWebauthnCredential(id: string): Promise<void> { return this.request("DELETE", `/v1/auth/webauthn/credentials/${seg(id)}`); }
  /** `POST /v1/invites/{token}/accept` (no bearer): sets the password and signs in; the client keeps the new token. */
  async acceptInvite(inviteToken: string, password: string): Promise<TokenResponse> {
    const r = await this.request<TokenResponse>("POST", `/v1/invites/${seg(inviteToken)}/accept`, { body: { password }, auth: false });
    this.#token = r.token;
    return r;
  }

  // ---- tokens -------------------------------------------------------------------

  /** `POST /v1/token/validate` (no bearer needed): the token's claims or `{valid:false}`. */
  validateToken(token: string, audience?: string): Promise<ValidateResponse> {
    return this.request("POST", "/v1/token/validate", { body: { token, ...(audience !== undefined ? { audience } : {}) }, auth: false });
  }
  /** `DELETE /v1/token/{jti}`. */
  revokeToken(jti: string): Promise<void> { return this.request("DELETE", `/v1/token/${seg(jti)}`); }
  /** `POST /v1/accounts/{id}/token`: a system account's new token; its previous one is revoked. */
  issueServiceToken(accountId: string, audience?: string): Promise<IssuedToken> {
    return this.request("POST", `/v1/accounts/${seg(accountId)}/token`, audience !== undefined ? { body: { audience } } : {});
  }
  /** `GET /v1/accounts/{id}/tokens`: the account's tokens (metadata only). */
  listTokens(accountId: string): Promise<TokenInfo[]> { return this.request("GET", `/v1/accounts/${seg(accountId)}/tokens`); }

  // ---- accounts -----------------------------------------------------------------

  /** `POST /v1/accounts`. */
  createAccount(req: CreateAccountRequest): Promise<Account> { return this.request("POST", "/v1/accounts", { body: req }); }
  /** `GET /v1/accounts` (deleted ones only with `status: "deleted"`). */
  listAccounts(query: ListAccountsQuery = {}): Promise<Account[]> { return this.request("GET", "/v1/accounts", { query: { ...query } }); }
  /** `GET /v1/accounts/{id}`. */
  getAccount(id: string): Promise<Account> { return this.request("GET", `/v1/accounts/${seg(id)}`); }
  /** `PATCH /v1/accounts/{id}`; going inactive revokes all its tokens. */
  updateAccount(id: string, req: UpdateAccountRequest): Promise<Account> { return this.request("PATCH", `/v1/accounts/${seg(id)}`, { body: req }); }
  /** `DELETE /v1/accounts/{id}`: soft delete, tokens revoked, username stays reserved. */
  deleteAccount(id: string): Promise<void> { return this.request("DELETE", `/v1/accounts/${seg(id)}`); }
  /** `PUT /v1/accounts/{id}/password`: all its tokens are revoked. */
  setAccountPassword(id: string, password: string): Promise<void> {
    return this.request("PUT", `/v1/accounts/${seg(id)}/password`, { body: { password } });
  }
  /** `POST /v1/accounts/{id}/invite`: a single-use invite (or reset) link; the previous link stops working. */
  createInvite(id: string): Promise<InviteLink> { return this.request("POST", `/v1/accounts/${seg(id)}/invite`); }
  /** `GET /v1/accounts/{id}/webauthn/credentials` (admin). */
  listAccountWebauthnCredentials(id: string): Promise<WebauthnCredential[]> { return this.request("GET", `/v1/accounts/${seg(id)}/webauthn/credentials`); }
  /** `DELETE /v1/accounts/{id}/webauthn/credentials/{cred_id}` (admin). */
  removeAccountWebauthnCredential(id: string, credId: string): Promise<void> {
    return this.request("DELETE", `/v1/accounts/${seg(id)}/webauthn/credentials/${seg(credId)}`);
  }
  /** `DELETE /v1/accounts/{id}/totp`. */
  removeTotp(id: string): Promise<void> { return this.request("DELETE", `/v1/accounts/${seg(id)}/totp`); }

  // ---- roles and tags -----------------------------------------------------------

  /** `GET /v1/accounts/{id}/roles`. */
  async getRoles(id: string): Promise<string[]> { return (await this.request<{ roles: string[] }>("GET", `/v1/accounts/${seg(id)}/roles`)).roles; }
  /** `PUT /v1/accounts/{id}/roles`: replaces the set; returns the new set. */
  async setRoles(id: string, roles: string[]): Promise<string[]> {
    return (await this.request<{ roles: string[] }>("PUT", `/v1/accounts/${seg(id)}/roles`, { body: { roles } })).roles;
  }
  /** `POST /v1/accounts/{id}/roles`: adds one role; returns the new set. */
  async grantRole(id: string, role: string): Promise<string[]> {
    return (await this.request<{ roles: string[] }>("POST", `/v1/accounts/${seg(id)}/roles`, { body: { role } })).roles;
  }
  /** `DELETE /v1/accounts/{id}/roles/{role}`: returns the new set. */
  async revokeRole(id: string, role: string): Promise<string[]> {
    return (await this.request<{ roles: string[] }>("DELETE", `/v1/accounts/${seg(id)}/roles/${seg(role)}`)).roles;
  }
  /** `GET /v1/accounts/{id}/tags`. */
  async getTags(id: string): Promise<string[]> { return (await this.request<{ tags: string[] }>("GET", `/v1/accounts/${seg(id)}/tags`)).tags; }
  /** `PUT /v1/accounts/{id}/tags`: replaces the set; returns the new set. */
  async setTags(id: string, tags: string[]): Promise<string[]> {
    return (await this.request<{ tags: string[] }>("PUT", `/v1/accounts/${seg(id)}/tags`, { body: { tags } })).tags;
  }

  // ---- delegates ----------------------------------------------------------------

  /** `GET /v1/accounts/{id}/token/delegates`: humans allowed to manage the system account's token. */
  listDelegates(id: string): Promise<Delegate[]> { return this.request("GET", `/v1/accounts/${seg(id)}/token/delegates`); }
  /** `POST /v1/accounts/{id}/token/delegates`. */
  grantDelegate(id: string, granteeId: string): Promise<Grant> {
    return this.request("POST", `/v1/accounts/${seg(id)}/token/delegates`, { body: { grantee_id: granteeId } });
  }
  /** `DELETE /v1/accounts/{id}/token/delegates/{grantee_id}`. */
  revokeDelegate(id: string, granteeId: string): Promise<void> {
    return this.request("DELETE", `/v1/accounts/${seg(id)}/token/delegates/${seg(granteeId)}`);
  }

  // ---- Postgres credentials -----------------------------------------------------

  /** `GET /v1/pgcreds`: every credential the caller may read (never passwords). */
  listPgCreds(): Promise<PgCredsSummary[]> { return this.request("GET", "/v1/pgcreds"); }
  /** `GET /v1/accounts/{id}/pgcreds`: with `password` for managers and the account itself. */
  getPgCreds(id: string): Promise<PgCreds> { return this.request("GET", `/v1/accounts/${seg(id)}/pgcreds`); }
  /** `PUT /v1/accounts/{id}/pgcreds`: the password is stored encrypted. */
  setPgCreds(id: string, creds: SetPgCredsRequest): Promise<void> { return this.request("PUT", `/v1/accounts/${seg(id)}/pgcreds`, { body: creds }); }
  /** `GET /v1/accounts/{id}/pgcreds/access`: who may read the metadata. */
  listPgCredsAccess(id: string): Promise<PgCredsGrant[]> { return this.request("GET", `/v1/accounts/${seg(id)}/pgcreds/access`); }
  /** `POST /v1/accounts/{id}/pgcreds/access`. */
  grantPgCredsAccess(id: string, granteeId: string): Promise<Grant> {
    return this.request("POST", `/v1/accounts/${seg(id)}/pgcreds/access`, { body: { grantee_id: granteeId } });
  }
  /** `DELETE /v1/accounts/{id}/pgcreds/access/{grantee_id}`. */
  revokePgCredsAccess(id: string, granteeId: string): Promise<void> {
    return this.request("DELETE", `/v1/accounts/${seg(id)}/pgcreds/access/${seg(granteeId)}`);
  }

  // ---- policy -------------------------------------------------------------------

  /** `GET /v1/policy/rules`: built-in (negative ids) and stored rules. */
  listPolicyRules(): Promise<PolicyRule[]> { return this.request("GET", "/v1/policy/rules"); }
  /** `GET /v1/policy/rules/{id}`. */
  getPolicyRule(id: number): Promise<PolicyRule> { return this.request("GET", `/v1/policy/rules/${id}`); }
  /** `POST /v1/policy/rules`. */
  createPolicyRule(rule: CreatePolicyRuleRequest): Promise<PolicyRule> { return this.request("POST", "/v1/policy/rules", { body: rule }); }
  /** `PATCH /v1/policy/rules/{id}`. */
  updatePolicyRule(id: number, patch: UpdatePolicyRuleRequest): Promise<PolicyRule> {
    return this.request("PATCH", `/v1/policy/rules/${id}`, { body: patch });
  }
  /** `DELETE /v1/policy/rules/{id}`. */
  deletePolicyRule(id: number): Promise<void> { return this.request("DELETE", `/v1/policy/rules/${id}`); }
  /** `POST /v1/policy/evaluate`: what the engine would decide. */
  evaluatePolicy(req: EvaluateRequest): Promise<EvaluateResponse> { return this.request("POST", "/v1/policy/evaluate", { body: req }); }

  // ---- OpenID Connect clients (admin) and own grants ---------------------------------

  /** `POST /v1/oidc/clients`: the client_secret is in this answer only. */
  createOidcClient(body: CreateOidcClientRequest): Promise<OidcClientWithSecret> { return this.request("POST", "/v1/oidc/clients", { body }); }
  /** `GET /v1/oidc/clients`. */
  listOidcClients(): Promise<OidcClient[]> { return this.request("GET", "/v1/oidc/clients"); }
  /** `GET /v1/oidc/clients/{id}`. */
  getOidcClient(id: string): Promise<OidcClient> { return this.request("GET", `/v1/oidc/clients/${seg(id)}`); }
  /** `PATCH /v1/oidc/clients/{id}`. */
  updateOidcClient(id: string, patch: UpdateOidcClientRequest): Promise<OidcClient> { return this.request("PATCH", `/v1/oidc/clients/${seg(id)}`, { body: patch }); }
  /** `DELETE /v1/oidc/clients/{id}`: also ends its sessions, grants and tokens. */
  deleteOidcClient(id: string): Promise<void> { return this.request("DELETE", `/v1/oidc/clients/${seg(id)}`); }
  /** `POST /v1/oidc/clients/{id}/secret`: a new secret, shown once. */
  rotateOidcClientSecret(id: string): Promise<OidcClientWithSecret> { return this.request("POST", `/v1/oidc/clients/${seg(id)}/secret`); }
  /** `GET /v1/oidc/grants`: the applications the caller signed in to. */
  listOwnOidcGrants(): Promise<OidcGrant[]> { return this.request("GET", "/v1/oidc/grants"); }
  /** `DELETE /v1/oidc/grants/{id}`. */
  revokeOwnOidcGrant(grantId: string): Promise<void> { return this.request("DELETE", `/v1/oidc/grants/${seg(grantId)}`); }

  // ---- audit --------------------------------------------------------------------

  /** `GET /v1/audit`: one page of events, newest first. */
  queryAudit(query: AuditQuery = {}): Promise<AuditPage> { return this.request("GET", "/v1/audit", { query: { ...query } }); }

  // ---- vault --------------------------------------------------------------------

  /** `GET /v1/vault/status`. */
  vaultStatus(): Promise<VaultStatus> { return this.request("GET", "/v1/vault/status", { auth: false }); }
  /** `POST /v1/vault/unseal` (no bearer; rate limited per IP). */
  unseal(passphrase: string): Promise<VaultStatus> { return this.request("POST", "/v1/vault/unseal", { body: { passphrase }, auth: false }); }
  /** `POST /v1/vault/seal` (admin). */
  seal(): Promise<VaultStatus> { return this.request("POST", "/v1/vault/seal"); }
}
