/**
 * GrpcClient: the same client interface as the REST McIasClient (src/client), over
 * mcias.v1 gRPC. Results have the REST JSON shapes (RFC 3339 strings, null where REST
 * says null) and failures throw the same error classes, so `mcias ctl --grpc` prints
 * exactly what `mcias ctl` prints.
 */
import type { Client, ServiceError } from "@grpc/grpc-js";
import { isIP } from "node:net";
import { checkServerIdentity } from "node:tls";
import type { McIasApi } from "../client/client";
import { errorFromResponse, TransportError } from "../client/errors";
import type * as T from "../client/types";
import { ERROR_STATUS, type ErrorCode } from "../errors";
import { fromMessage, toMessage } from "./convert";

/** grpc-js and the protos load on the first call (`mcias ctl` without --grpc never pays for them). */
async function loadGrpc() {
  const [grpc, protos] = await Promise.all([import("@grpc/grpc-js"), import("./protos")]);
  return { grpc, protos: protos.loadProtos(protos.CLIENT_LOADER_OPTIONS) };
}

export interface GrpcClientOptions {
  /** "host:port" of the gRPC listener (an `https://host:port` URL is accepted too). */
  address: string;
  /** PEM of the CA (or self-signed certificate) to trust instead of the system store. */
  caCert?: string;
  token?: string;
  timeoutMs?: number;
}

type Obj = Record<string, unknown>;

const SERVICES = ["AuthService", "TokenService", "AccountService", "PgCredsService", "PolicyService", "AuditService", "VaultService", "OidcService"] as const;
type ServiceName = (typeof SERVICES)[number];

// protobufjs puts repeated fields first when it fills defaults; REST's key order is the
// declaration order, and `--json` output must not differ.
const ACCOUNT_KEYS = ["id", "username", "account_type", "status", "roles", "tags", "totp_enabled", "created_at", "updated_at", "email", "display_name"];
const VALID_KEYS = ["valid", "sub", "username", "account_type", "roles", "jti", "issued_at", "expires_at"];
function ordered<R>(o: unknown, keys: string[]): R {
  const src = o as Obj;
  const out: Obj = {};
  for (const k of keys) if (k in src) out[k] = src[k];
  for (const k of Object.keys(src)) if (!(k in out)) out[k] = src[k];
  return out as R;
}
const account = (m: unknown): T.Account => ordered(fromMessage(m, ["email", "display_name"]), ACCOUNT_KEYS);
const credential = (m: unknown): T.WebauthnCredential => fromMessage(m, ["last_used_at"]) as T.WebauthnCredential;

const oidcWithSecret = (m: Obj): T.OidcClientWithSecret =>
  ({ client: fromMessage(m.client), client_secret: (m.client_secret as string | undefined) ?? null }) as T.OidcClientWithSecret;

/** Keeps only the named keys that hold a value (REST leaves the rest out). */
function drop(o: Obj, keys: string[]): Obj {
  for (const k of keys) if (o[k] === null || o[k] === undefined) delete o[k];
  return o;
}

const RULE_KEYS = ["id", "description", "effect", "priority", "enabled", "match", "not_before", "expires_at"];

function ruleFromMessage(m: unknown): T.PolicyRule {
  const r = ordered<Obj>(fromMessage(m), RULE_KEYS);
  drop(r, ["not_before", "expires_at"]);
  const match = (r.match ?? {}) as Obj;
  for (const [k, v] of Object.entries(match)) if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) delete match[k];
  r.match = match;
  return r as unknown as T.PolicyRule;
}

function ruleToMessage(rule: T.CreatePolicyRuleRequest | T.UpdatePolicyRuleRequest): Obj {
  const { not_before, expires_at, ...rest } = rule;
  return {
    ...(toMessage(rest) as Obj),
    ...(typeof not_before === "string" ? toMessage({ not_before }) as Obj : {}),
    ...(typeof expires_at === "string" ? toMessage({ expires_at }) as Obj : {}),
    ...(not_before === null ? { clear_not_before: true } : {}),
    ...(expires_at === null ? { clear_expires_at: true } : {}),
  };
}

function auditEventFromMessage(m: unknown): T.AuditEvent {
  const e = fromMessage(m, ["actor_id", "actor", "target_id", "target", "ip"]) as Obj;
  const { details_json, ...rest } = e;
  let details: unknown = {};
  try { details = JSON.parse(String(details_json || "{}")); } catch { /* keep {} */ }
  return { ...rest, details } as unknown as T.AuditEvent;
}

export class GrpcClient implements McIasApi {
  #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #address: string;
  readonly #caCert: string | undefined;
  #conn: Promise<{ stubs: Record<ServiceName, Client>; grpc: typeof import("@grpc/grpc-js") }> | undefined;

  constructor(opts: GrpcClientOptions) {
    const address = opts.address.replace(/^https:\/\//, "").replace(/\/+$/, "");
    if (!/^[^\s/]+:\d{1,5}$/.test(address)) throw new TypeError("the gRPC server must be host:port");
    this.#token = opts.token;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#address = address;
    this.#caCert = opts.caCert;
  }

  #connect() {
    this.#conn ??= loadGrpc().then(({ grpc, protos }) => ({ grpc, stubs: this.#makeStubs(grpc, protos) }));
    return this.#conn;
  }

  #makeStubs(grpc: typeof import("@grpc/grpc-js"), protos: ReturnType<typeof import("./protos").loadProtos>): Record<ServiceName, Client> {
    const { credentials } = grpc;
    const address = this.#address;
    const opts = { caCert: this.#caCert };
    const host = address.slice(0, address.lastIndexOf(":")).replace(/^\[(.*)\]$/, "$1");
    // grpc-js sends the target host as TLS server name, which Bun refuses for an IP
    // address (SNI never carries one). For an IP target: a placeholder name for SNI
    // only, while the certificate is still checked against the IP itself.
    const ipTarget = isIP(host) !== 0;
    const creds = credentials.createSsl(opts.caCert ? Buffer.from(opts.caCert) : null, null, null,
      ipTarget ? { checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert) } : undefined);
    const channelOptions = ipTarget ? { "grpc.ssl_target_name_override": "mcias.invalid" } : {};
    const stubs: Partial<Record<ServiceName, Client>> = {};
    let channelOwner: Client | undefined;
    for (const name of SERVICES) {
      const Ctor = protos.service(`mcias.v1.${name}`);
      // One HTTP/2 connection shared by every service stub.
      const stub = channelOwner
        ? new Ctor(address, creds, { ...channelOptions, channelOverride: channelOwner.getChannel() })
        : new Ctor(address, creds, channelOptions);
      channelOwner ??= stub;
      stubs[name] = stub;
    }
    return stubs as Record<ServiceName, Client>;
  }

  get token(): string | undefined { return this.#token; }
  setToken(token: string | undefined): void { this.#token = token; }
  /** Closes the connection. */
  close(): void { void this.#conn?.then((c) => c.stubs.AuthService.close()); }

  async #call(service: ServiceName, method: string, req: Obj = {}, opts: { auth?: boolean } = {}): Promise<Obj> {
    const { grpc, stubs } = await this.#connect();
    const { Metadata, status } = grpc;
    const md = new Metadata();
    if (opts.auth !== false && this.#token) md.set("authorization", `Bearer ${this.#token}`);
    const stub = stubs[service] as unknown as Record<string, (req: Obj, md: InstanceType<typeof Metadata>, o: { deadline: Date }, cb: (e: ServiceError | null, r?: Obj) => void) => void>;
    const fn = stub[method];
    if (typeof fn !== "function") throw new TypeError(`no RPC ${service}/${method}`);
    // A field the message does not have would be dropped silently by protobuf (a filter
    // lost, a whole list returned): refuse it loudly instead.
    const def = (stubs[service].constructor as unknown as { service?: Record<string, { requestType?: { type?: { field?: { name: string }[] } } }> }).service?.[method];
    const known = def?.requestType?.type?.field?.map((f) => f.name);
    const unknown = known ? Object.keys(req).filter((k) => req[k] !== undefined && !known.includes(k)) : [];
    if (unknown.length) throw new TypeError(`${service}/${method} has no field ${unknown.join(", ")}`);
    return new Promise((resolve, reject) => {
      fn.call(stub, req, md, { deadline: new Date(Date.now() + this.#timeoutMs) }, (err, res) => {
        if (!err) return resolve(res ?? {});
        const code = err.metadata?.get("mcias-code")[0];
        if (typeof code === "string" && code in ERROR_STATUS) {
          const retry = err.metadata.get("retry-after")[0];
          return reject(errorFromResponse(ERROR_STATUS[code as ErrorCode], { error: err.details, code }, typeof retry === "string" ? retry : null));
        }
        if (err.code === status.RESOURCE_EXHAUSTED) return reject(errorFromResponse(413, { error: err.details, code: "payload_too_large" }, null));
        reject(new TransportError(`${service}/${method}: ${err.details || status[err.code]}`, { cause: err }));
      });
    });
  }

  // ---- system -------------------------------------------------------------------
  async health(): Promise<T.Health> {
    // grpc.health.v1 is not in the stubs; vault status says the same thing.
    const v = await this.#call("VaultService", "Status", {}, { auth: false });
    return { status: v.sealed ? "sealed" : "ok" };
  }
  async publicKey(): Promise<T.Jwk> { return (await this.#call("TokenService", "GetPublicKey", {}, { auth: false })) as unknown as T.Jwk; }
  async jwks(): Promise<T.JwkSet> { return (await this.#call("TokenService", "GetJwks", {}, { auth: false })) as unknown as T.JwkSet; }

  // ---- auth ---------------------------------------------------------------------
  async login(username: string, password: string, totpCode?: string, audience?: string): Promise<T.TokenResponse> {
    const req = { username, password, ...(totpCode ? { totp_code: totpCode } : {}), ...(audience !== undefined ? { audience } : {}) };
    const r = fromMessage(await this.#call("AuthService", "Login", req, { auth: false })) as T.TokenResponse;
    this.#token = r.token;
    return r;
  }
  async logout(): Promise<void> {
    await this.#call("AuthService", "Logout");
    this.#token = undefined;
  }
  async renew(audience?: string): Promise<T.TokenResponse> {
    const r = fromMessage(await this.#call("AuthService", "Renew", audience !== undefined ? { audience } : {})) as T.TokenResponse;
    this.#token = r.token;
    return r;
  }
  async me(): Promise<T.Account> { return account(await this.#call("AuthService", "Me")); }
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await this.#call("AuthService", "ChangePassword", { current_password: currentPassword, new_password: newPassword });
  }
  async totpEnroll(currentPassword: string): Promise<T.TotpEnrollment> {
    return (await this.#call("AuthService", "TotpEnroll", { current_password: currentPassword })) as unknown as T.TotpEnrollment;
  }
  async totpConfirm(code: string): Promise<T.RecoveryCodes> { return (await this.#call("AuthService", "TotpConfirm", { code })) as unknown as T.RecoveryCodes; }
  async regenerateRecoveryCodes(currentPassword: string): Promise<T.RecoveryCodes> {
    return (await this.#call("AuthService", "RegenerateRecoveryCodes", { current_password: currentPassword })) as unknown as T.RecoveryCodes;
  }
  async listWebauthnCredentials(): Promise<T.WebauthnCredential[]> {
    return ((await this.#call("AuthService", "ListWebauthnCredentials")).credentials as unknown[]).map(credential);
  }
  async renameWebauthnCredential(id: string, name: string): Promise<T.WebauthnCredential> {
    return credential(await this.#call("AuthService", "RenameWebauthnCredential", { id, name }));
  }
  async removeWebauthnCredential(id: string): Promise<void> { await this.#call("AuthService", "RemoveWebauthnCredential", { id }); }
  async acceptInvite(inviteToken: string, password: string): Promise<T.TokenResponse> {
    const r = fromMessage(await this.#call("AuthService", "AcceptInvite", { token: inviteToken, password }, { auth: false })) as T.TokenResponse;
    this.#token = r.token;
    return r;
  }

  // ---- tokens -------------------------------------------------------------------
  async validateToken(token: string, audience?: string): Promise<T.ValidateResponse> {
    const r = fromMessage(await this.#call("TokenService", "ValidateToken", { token, ...(audience !== undefined ? { audience } : {}) }, { auth: false })) as Obj;
    return (r.valid ? drop(ordered(r, VALID_KEYS), ["audience"]) : { valid: false }) as T.ValidateResponse;
  }
  async revokeToken(jti: string): Promise<void> { await this.#call("TokenService", "RevokeToken", { jti }); }
  async issueServiceToken(accountId: string, audience?: string): Promise<T.IssuedToken> {
    return fromMessage(await this.#call("TokenService", "IssueServiceToken", { id: accountId, ...(audience !== undefined ? { audience } : {}) })) as T.IssuedToken;
  }
  async listTokens(accountId: string): Promise<T.TokenInfo[]> {
    return fromMessage((await this.#call("TokenService", "ListTokens", { id: accountId })).tokens) as T.TokenInfo[];
  }

  // ---- accounts -----------------------------------------------------------------
  async createAccount(req: T.CreateAccountRequest): Promise<T.Account> { return account(await this.#call("AccountService", "CreateAccount", { ...req })); }
  async listAccounts(query: T.ListAccountsQuery = {}): Promise<T.Account[]> {
    return ((await this.#call("AccountService", "ListAccounts", { ...query })).accounts as unknown[]).map(account);
  }
  async getAccount(id: string): Promise<T.Account> { return account(await this.#call("AccountService", "GetAccount", { id })); }
  async updateAccount(id: string, req: T.UpdateAccountRequest): Promise<T.Account> {
    const { email, display_name, ...rest } = req;
    const msg: Obj = { id, ...rest };
    if (email === null) msg.clear_email = true; else if (email !== undefined) msg.email = email;
    if (display_name === null) msg.clear_display_name = true; else if (display_name !== undefined) msg.display_name = display_name;
    return account(await this.#call("AccountService", "UpdateAccount", msg));
  }
  async deleteAccount(id: string): Promise<void> { await this.#call("AccountService", "DeleteAccount", { id }); }
  async setAccountPassword(id: string, password: string): Promise<void> { await this.#call("AccountService", "SetPassword", { id, password }); }
  async removeTotp(id: string): Promise<void> { await this.#call("AccountService", "RemoveTotp", { id }); }
  async createInvite(id: string): Promise<T.InviteLink> { return fromMessage(await this.#call("AccountService", "CreateInvite", { id })) as T.InviteLink; }
  async listAccountWebauthnCredentials(id: string): Promise<T.WebauthnCredential[]> {
    return ((await this.#call("AccountService", "ListAccountWebauthnCredentials", { id })).credentials as unknown[]).map(credential);
  }
  async removeAccountWebauthnCredential(id: string, credId: string): Promise<void> {
    await this.#call("AccountService", "RemoveAccountWebauthnCredential", { id, cred_id: credId });
  }

  // ---- roles and tags -----------------------------------------------------------
  async getRoles(id: string): Promise<string[]> { return (await this.#call("AccountService", "GetRoles", { id })).roles as string[]; }
  async setRoles(id: string, roles: string[]): Promise<string[]> { return (await this.#call("AccountService", "SetRoles", { id, roles })).roles as string[]; }
  async grantRole(id: string, role: string): Promise<string[]> { return (await this.#call("AccountService", "GrantRole", { id, role })).roles as string[]; }
  async revokeRole(id: string, role: string): Promise<string[]> { return (await this.#call("AccountService", "RevokeRole", { id, role })).roles as string[]; }
  async getTags(id: string): Promise<string[]> { return (await this.#call("AccountService", "GetTags", { id })).tags as string[]; }
  async setTags(id: string, tags: string[]): Promise<string[]> { return (await this.#call("AccountService", "SetTags", { id, tags })).tags as string[]; }

  // ---- delegates ----------------------------------------------------------------
  async listDelegates(id: string): Promise<T.Delegate[]> { return fromMessage((await this.#call("TokenService", "ListDelegates", { id })).grants) as T.Delegate[]; }
  async grantDelegate(id: string, granteeId: string): Promise<T.Grant> {
    return fromMessage((await this.#call("TokenService", "GrantDelegate", { id, grantee_id: granteeId })).grant) as T.Grant;
  }
  async revokeDelegate(id: string, granteeId: string): Promise<void> { await this.#call("TokenService", "RevokeDelegate", { id, grantee_id: granteeId }); }

  // ---- Postgres credentials -----------------------------------------------------
  async listPgCreds(): Promise<T.PgCredsSummary[]> { return (await this.#call("PgCredsService", "ListPgCreds")).creds as T.PgCredsSummary[]; }
  async getPgCreds(id: string): Promise<T.PgCreds> { return drop(await this.#call("PgCredsService", "GetPgCreds", { id }), ["password"]) as unknown as T.PgCreds; }
  async setPgCreds(id: string, creds: T.SetPgCredsRequest): Promise<void> { await this.#call("PgCredsService", "SetPgCreds", { id, ...creds }); }
  async listPgCredsAccess(id: string): Promise<T.PgCredsGrant[]> {
    return fromMessage((await this.#call("PgCredsService", "ListPgCredsAccess", { id })).grants) as T.PgCredsGrant[];
  }
  async grantPgCredsAccess(id: string, granteeId: string): Promise<T.Grant> {
    return fromMessage((await this.#call("PgCredsService", "GrantPgCredsAccess", { id, grantee_id: granteeId })).grant) as T.Grant;
  }
  async revokePgCredsAccess(id: string, granteeId: string): Promise<void> { await this.#call("PgCredsService", "RevokePgCredsAccess", { id, grantee_id: granteeId }); }

  // ---- policy -------------------------------------------------------------------
  async listPolicyRules(): Promise<T.PolicyRule[]> { return ((await this.#call("PolicyService", "ListRules")).rules as unknown[]).map(ruleFromMessage); }
  async getPolicyRule(id: number): Promise<T.PolicyRule> { return ruleFromMessage(await this.#call("PolicyService", "GetRule", { id })); }
  async createPolicyRule(rule: T.CreatePolicyRuleRequest): Promise<T.PolicyRule> { return ruleFromMessage(await this.#call("PolicyService", "CreateRule", ruleToMessage(rule))); }
  async updatePolicyRule(id: number, patch: T.UpdatePolicyRuleRequest): Promise<T.PolicyRule> {
    return ruleFromMessage(await this.#call("PolicyService", "UpdateRule", { id, ...ruleToMessage(patch) }));
  }
  async deletePolicyRule(id: number): Promise<void> { await this.#call("PolicyService", "DeleteRule", { id }); }
  async evaluatePolicy(req: T.EvaluateRequest): Promise<T.EvaluateResponse> {
    return fromMessage(await this.#call("PolicyService", "Evaluate", { ...req }), ["rule_id", "rule_description"]) as T.EvaluateResponse;
  }

  // ---- audit --------------------------------------------------------------------
  async queryAudit(query: T.AuditQuery = {}): Promise<T.AuditPage> {
    const q: Obj = { ...query };
    for (const k of ["since", "until"] as const) {
      const v = query[k];
      if (typeof v !== "string") continue;
      // A Timestamp cannot carry an unparseable time: refuse it the way the server does over REST.
      if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(Date.parse(v))) throw errorFromResponse(400, { error: `${k} must be an RFC 3339 time`, code: "bad_request" }, null);
      Object.assign(q, toMessage({ [k]: v }));
    }
    const r = await this.#call("AuditService", "Query", q);
    return { events: (r.events as unknown[]).map(auditEventFromMessage), next_cursor: (r.next_cursor as string | undefined) ?? null };
  }

  // ---- OIDC relying parties and grants --------------------------------------------
  async createOidcClient(body: T.CreateOidcClientRequest): Promise<T.OidcClientWithSecret> {
    return oidcWithSecret(await this.#call("OidcService", "CreateClient", { ...body }));
  }
  async listOidcClients(): Promise<T.OidcClient[]> { return fromMessage((await this.#call("OidcService", "ListClients")).clients) as T.OidcClient[]; }
  async getOidcClient(id: string): Promise<T.OidcClient> { return fromMessage(await this.#call("OidcService", "GetClient", { id })) as T.OidcClient; }
  async updateOidcClient(id: string, patch: T.UpdateOidcClientRequest): Promise<T.OidcClient> {
    const msg: Obj = { id, ...patch };
    for (const k of ["post_logout_redirect_uris", "allowed_roles"] as const) {
      if (Array.isArray(patch[k]) && patch[k]!.length === 0) { delete msg[k]; msg[`clear_${k}`] = true; }
    }
    return fromMessage(await this.#call("OidcService", "UpdateClient", msg)) as T.OidcClient;
  }
  async deleteOidcClient(id: string): Promise<void> { await this.#call("OidcService", "DeleteClient", { id }); }
  async rotateOidcClientSecret(id: string): Promise<T.OidcClientWithSecret> { return oidcWithSecret(await this.#call("OidcService", "RotateClientSecret", { id })); }
  async listOwnOidcGrants(): Promise<T.OidcGrant[]> {
    return fromMessage((await this.#call("OidcService", "ListGrants")).grants, ["created_at", "expires_at"]) as T.OidcGrant[];
  }
  async revokeOwnOidcGrant(grantId: string): Promise<void> { await this.#call("OidcService", "RevokeGrant", { id: grantId }); }

  // ---- vault --------------------------------------------------------------------
  async vaultStatus(): Promise<T.VaultStatus> { return (await this.#call("VaultService", "Status", {}, { auth: false })) as unknown as T.VaultStatus; }
  async unseal(passphrase: string): Promise<T.VaultStatus> { return (await this.#call("VaultService", "Unseal", { passphrase }, { auth: false })) as unknown as T.VaultStatus; }
  async seal(): Promise<T.VaultStatus> { return (await this.#call("VaultService", "Seal")) as unknown as T.VaultStatus; }
}
