/**
 * The OpenID Connect provider's rules and storage (SPEC §16). The face in src/oidc/
 * runs panva's oidc-provider; everything it decides or stores goes through here:
 * client registry (admin, audited), the adapter's rows, signing and cookie keys
 * (sealed under the master key), who may sign in to which client, the claims, and
 * the account's grants (listed and revocable on the dashboard).
 */
import { createHash, generateKeyPairSync, randomBytes as nodeRandomBytes } from "node:crypto";
import { AppError, assertThat } from "../errors";
import { open, seal } from "../crypto/aead";
import type { AccountRow } from "../store/accounts";
import type { OidcClientRow, OidcPayloadRow } from "../store/oidcRepo";
import type { AuditService } from "./audit";
import type { Authz } from "./authz";
import { iso, type ServiceDeps } from "./deps";
import { ROLE_RE } from "./limits";
import type { Ctx, Principal } from "./principal";

export const ID_TOKEN_ALGS = ["EdDSA", "RS256", "ES256"] as const;
export type IdTokenAlg = (typeof ID_TOKEN_ALGS)[number];

/** The client as REST, ctl and the console show it; never the secret. */
export interface OidcClientView {
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

export interface OidcClientInput {
  name: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  public?: boolean;
  allowed_roles?: string[];
  id_token_alg?: IdTokenAlg;
}

export type OidcClientPatch = Partial<Omit<OidcClientInput, "public">>;

/** The metadata oidc-provider loads for a client (its `Client` model). */
export interface ProviderClientMetadata {
  client_id: string;
  client_name: string;
  client_secret?: string;
  token_endpoint_auth_method: "none" | "client_secret_basic" | "client_secret_post";
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  id_token_signed_response_alg: IdTokenAlg;
}

/** A private signing key as a JWK (with `d`), for the provider's keystore. */
export type PrivateJwk = Record<string, string>;

export interface OidcKeyset {
  /** Changes whenever the keys change or the vault is sealed/unsealed. */
  version: number;
  signing: PrivateJwk[];
  cookieKeys: string[];
}

export interface OidcClaims {
  sub: string;
  preferred_username: string;
  name?: string;
  email?: string;
  email_verified?: boolean;
  groups: string[];
}

export interface OidcGrantView {
  grant_id: string;
  client_id: string;
  client_name: string;
  created_at: string | null;
  expires_at: string | null;
}

const MAX_URIS = 20;
/** Models whose id is a bearer secret (code, token values). */
const SECRET_ID_MODELS = new Set(["AuthorizationCode", "AccessToken", "RefreshToken", "ClientCredentials", "DeviceCode",
  "BackchannelAuthenticationRequest", "RegistrationAccessToken", "InitialAccessToken", "PushedAuthorizationRequest"]);
const CLIENT_ID_RE = /^[A-Za-z0-9_-]{8,64}$/;
export const oidcKeyAad = (kid: string) => `oidc-key:${kid}`;
const keyAad = oidcKeyAad;
export const clientSecretAad = (id: string) => `oidc-client:${id}`;
/** Storage key of an adapter row: an opaque token value is its own id, so only a hash is kept. */
const idHash = (id: string) => createHash("sha256").update(id).digest("base64url");

function parseList(json: string): string[] {
  const v = JSON.parse(json) as unknown;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/**
 * A redirect URI an admin may register: absolute https (or http to a loopback host,
 * for local apps and tests), no fragment, no userinfo.
 */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length > 2000) return "is too long";
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return "is not an absolute URL";
  }
  if (u.hash !== "" || uri.includes("#")) return "must not have a fragment";
  if (u.username !== "" || u.password !== "") return "must not carry a user or password";
  const loopback = u.hostname === "localhost" || u.hostname === "127.0.0.1" || u.hostname === "[::1]";
  if (u.protocol === "https:") return null;
  if (u.protocol === "http:" && loopback) return null;
  return "must be https (http only for localhost)";
}

function toView(r: OidcClientRow): OidcClientView {
  return {
    id: r.id, name: r.name, redirect_uris: parseList(r.redirect_uris),
    post_logout_redirect_uris: parseList(r.post_logout_redirect_uris), public: r.public === 1,
    allowed_roles: parseList(r.allowed_roles), id_token_alg: r.id_token_alg, created_at: r.created_at, updated_at: r.updated_at,
  };
}

export function createOidcService(deps: ServiceDeps, audit: AuditService, authz: Authz) {
  const { store, vault, config, clock } = deps;
  const now = () => iso(clock.now());
  let keysetVersion = 1;
  let cachedKeyset: OidcKeyset | null = null;
  // The oidc_keys change counter the cached keyset was read at: a key made by another
  // serving thread or process (an RS256/ES256 key on a client's first use) moves it.
  let keysReadAt = -1;
  const sealListeners = new Set<() => void>();
  vault.onChange((sealed) => {
    keysetVersion++;
    cachedKeyset = null;
    if (sealed) for (const l of sealListeners) l();
  });

  function requireUnsealed(): Buffer {
    if (vault.isSealed()) throw new AppError("vault_sealed");
    return vault.masterKey();
  }

  function load(id: string): OidcClientRow {
    const row = CLIENT_ID_RE.test(id) ? store.oidc.clients.get(id) : null;
    assertThat(row, "not_found", "client not found");
    return row;
  }

  function checkUris(name: string, uris: string[], min: number): string[] {
    if (uris.length < min) throw new AppError("bad_request", `${name} needs at least ${min} entry`);
    if (uris.length > MAX_URIS) throw new AppError("bad_request", `${name}: at most ${MAX_URIS} entries`);
    for (const u of uris) {
      const p = redirectUriProblem(u);
      if (p) throw new AppError("bad_request", `${name}: ${JSON.stringify(u.slice(0, 100))} ${p}`);
    }
    return [...new Set(uris)];
  }

  function checkName(name: string): string {
    const n = name.trim();
    if (n.length < 1 || n.length > 128) throw new AppError("bad_request", "name must be 1-128 characters");
    return n;
  }

  function checkRoles(roles: string[]): string[] {
    if (roles.length > 64) throw new AppError("bad_request", "at most 64 allowed_roles");
    for (const r of roles) if (!ROLE_RE.test(r)) throw new AppError("bad_request", "allowed_roles: invalid role name");
    return [...new Set(roles)].sort();
  }

  function checkAlg(alg: string | undefined): IdTokenAlg {
    const a = alg ?? "EdDSA";
    if (!(ID_TOKEN_ALGS as readonly string[]).includes(a)) throw new AppError("bad_request", `id_token_alg must be one of ${ID_TOKEN_ALGS.join(", ")}`);
    return a as IdTokenAlg;
  }

  const newSecret = () => nodeRandomBytes(32).toString("base64url");

  // ---- keys -------------------------------------------------------------------------

  function generateKey(alg: IdTokenAlg | "cookie", key: Buffer): void {
    const kid = nodeRandomBytes(12).toString("base64url");
    let priv: string;
    let pub: string | null = null;
    if (alg === "cookie") {
      priv = nodeRandomBytes(32).toString("base64url");
    } else {
      const pair = alg === "EdDSA" ? generateKeyPairSync("ed25519")
        : alg === "RS256" ? generateKeyPairSync("rsa", { modulusLength: 2048 })
        : generateKeyPairSync("ec", { namedCurve: "P-256" });
      const jwk: Record<string, string> = { ...(pair.privateKey.export({ format: "jwk" }) as Record<string, string>), kid, alg, use: "sig" };
      priv = JSON.stringify(jwk);
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = jwk;
      pub = JSON.stringify(publicPart);
    }
    store.oidc.keys.insert({
      kid, use: alg === "cookie" ? "cookie" : "sig", alg, private_enc: seal(key, Buffer.from(priv, "utf8"), keyAad(kid)),
      public_jwk: pub, created_at: now(),
    });
  }

  /** Makes the keys the provider needs exist: EdDSA and the cookie key always, RS256/ES256 once a client asks. */
  function ensureKeys(key: Buffer, extra: IdTokenAlg[] = []): boolean {
    return store.tx(() => {
      const have = new Set(store.oidc.keys.list().map((k) => k.alg));
      const want: (IdTokenAlg | "cookie")[] = ["EdDSA", "cookie", ...extra];
      for (const c of store.oidc.clients.list()) want.push(c.id_token_alg);
      let made = false;
      for (const a of new Set(want)) {
        if (!have.has(a)) {
          generateKey(a, key);
          made = true;
        }
      }
      return made;
    });
  }

  // ---- client registry (admin) -----------------------------------------------------

  const clients = {
    create(ctx: Ctx, input: OidcClientInput): { client: OidcClientView; client_secret: string | null } {
      authz.require(ctx, "oidc_clients:write", { type: "oidc_client" });
      const key = requireUnsealed();
      const name = checkName(input.name);
      const redirect = checkUris("redirect_uris", input.redirect_uris, 1);
      const postLogout = checkUris("post_logout_redirect_uris", input.post_logout_redirect_uris ?? [], 0);
      const roles = checkRoles(input.allowed_roles ?? []);
      const alg = checkAlg(input.id_token_alg);
      const isPublic = input.public === true;
      const id = nodeRandomBytes(18).toString("base64url");
      const secret = isPublic ? null : newSecret();
      const t = now();
      const row = store.tx(() => {
        store.oidc.clients.insert({
          id, name, secret_enc: secret === null ? null : seal(key, Buffer.from(secret, "utf8"), clientSecretAad(id)),
          public: isPublic ? 1 : 0, redirect_uris: JSON.stringify(redirect), post_logout_redirect_uris: JSON.stringify(postLogout),
          allowed_roles: JSON.stringify(roles), id_token_alg: alg, created_at: t, updated_at: t,
        });
        audit.record(ctx, "oidc_client_created", null, { client_id: id, name, public: isPublic, id_token_alg: alg, allowed_roles: roles });
        return load(id);
      });
      if (ensureKeys(key, [alg])) bumpKeys();
      return { client: toView(row), client_secret: secret };
    },

    list(ctx: Ctx): OidcClientView[] {
      authz.require(ctx, "oidc_clients:read", { type: "oidc_client" });
      return store.oidc.clients.list().map(toView);
    },

    get(ctx: Ctx, id: string): OidcClientView {
      authz.require(ctx, "oidc_clients:read", { type: "oidc_client" });
      return toView(load(id));
    },

    update(ctx: Ctx, id: string, patch: OidcClientPatch): OidcClientView {
      authz.require(ctx, "oidc_clients:write", { type: "oidc_client" });
      const key = requireUnsealed();
      const cur = toView(load(id));
      const next = {
        name: patch.name === undefined ? cur.name : checkName(patch.name),
        redirect: patch.redirect_uris === undefined ? cur.redirect_uris : checkUris("redirect_uris", patch.redirect_uris, 1),
        postLogout: patch.post_logout_redirect_uris === undefined ? cur.post_logout_redirect_uris : checkUris("post_logout_redirect_uris", patch.post_logout_redirect_uris, 0),
        roles: patch.allowed_roles === undefined ? cur.allowed_roles : checkRoles(patch.allowed_roles),
        alg: patch.id_token_alg === undefined ? cur.id_token_alg : checkAlg(patch.id_token_alg),
      };
      const row = store.tx(() => {
        const fresh = load(id);
        store.oidc.clients.update({
          ...fresh, name: next.name, redirect_uris: JSON.stringify(next.redirect), post_logout_redirect_uris: JSON.stringify(next.postLogout),
          allowed_roles: JSON.stringify(next.roles), id_token_alg: next.alg, updated_at: now(),
        });
        const changed = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined);
        audit.record(ctx, "oidc_client_updated", null, { client_id: id, changed });
        return load(id);
      });
      if (ensureKeys(key, [next.alg])) bumpKeys();
      return toView(row);
    },

    /** New secret for a confidential client, shown once; the old one stops working at once. */
    rotateSecret(ctx: Ctx, id: string): { client: OidcClientView; client_secret: string } {
      authz.require(ctx, "oidc_clients:write", { type: "oidc_client" });
      const key = requireUnsealed();
      const secret = newSecret();
      const row = store.tx(() => {
        const fresh = load(id);
        if (fresh.public === 1) throw new AppError("conflict", "a public client has no secret");
        store.oidc.clients.setSecret(id, seal(key, Buffer.from(secret, "utf8"), clientSecretAad(id)));
        audit.record(ctx, "oidc_client_secret_rotated", null, { client_id: id });
        return load(id);
      });
      return { client: toView(row), client_secret: secret };
    },

    /** Deletes the client and every session, grant and token issued to it. */
    remove(ctx: Ctx, id: string): void {
      authz.require(ctx, "oidc_clients:write", { type: "oidc_client" });
      requireUnsealed();
      store.tx(() => {
        load(id);
        store.oidc.clients.remove(id);
        const ended = store.oidc.payloads.removeClient(id);
        audit.record(ctx, "oidc_client_deleted", null, { client_id: id, rows_removed: ended });
      });
    },
  };

  function bumpKeys(): void {
    keysetVersion++;
    cachedKeyset = null;
  }

  // ---- what the provider face needs ------------------------------------------------

  const provider = {
    isSealed: () => vault.isSealed(),
    issuer: () => config.tokens.issuer,
    ttl: () => config.oidc,
    /** Called when the vault seals: the face drops the provider (it holds private keys). */
    onSeal(l: () => void): () => void {
      sealListeners.add(l);
      return () => sealListeners.delete(l);
    },
    keysetVersion: () => keysetVersion,

    /** Ends one provider session (by its uid): the browser's next sign-in starts afresh. */
    endSessionByUid(uid: string): void {
      store.oidc.payloads.destroyByUid("Session", uid);
    },

    /** Private signing JWKs (EdDSA first: the default) and cookie keys; throws vault_sealed. */
    keyset(): OidcKeyset {
      const key = requireUnsealed();
      const n = store.changes.get("oidc_keys");
      if (cachedKeyset && cachedKeyset.version === keysetVersion && n === keysReadAt) return cachedKeyset;
      if (n !== keysReadAt) keysetVersion++;
      if (ensureKeys(key)) keysetVersion++;
      keysReadAt = store.changes.get("oidc_keys");
      const rows = store.oidc.keys.list();
      const signing: PrivateJwk[] = [];
      const cookieKeys: string[] = [];
      for (const r of rows) {
        const plain = open(key, r.private_enc, keyAad(r.kid));
        const text = plain.toString("utf8");
        plain.fill(0);
        if (r.use === "cookie") cookieKeys.unshift(text);
        else signing.push(JSON.parse(text) as PrivateJwk);
      }
      signing.sort((a, b) => (a.alg === "EdDSA" ? -1 : 0) - (b.alg === "EdDSA" ? -1 : 0));
      cachedKeyset = { version: keysetVersion, signing, cookieKeys };
      return cachedKeyset;
    },

    /** The client's metadata for oidc-provider, secret included (kept in memory by it only per request). */
    client(id: string): ProviderClientMetadata | undefined {
      const row = CLIENT_ID_RE.test(id) ? store.oidc.clients.get(id) : null;
      if (!row) return undefined;
      const key = requireUnsealed();
      const v = toView(row);
      const secret = row.secret_enc ? open(key, row.secret_enc, clientSecretAad(row.id)).toString("utf8") : undefined;
      return {
        client_id: row.id, client_name: v.name,
        ...(secret === undefined ? {} : { client_secret: secret }),
        token_endpoint_auth_method: v.public ? "none" : "client_secret_basic",
        redirect_uris: v.redirect_uris, post_logout_redirect_uris: v.post_logout_redirect_uris,
        grant_types: ["authorization_code", "refresh_token"], response_types: ["code"],
        id_token_signed_response_alg: v.id_token_alg,
      };
    },

    /** Claims for an active human account, or undefined (then no token, userinfo or refresh is served). */
    claims(sub: string): OidcClaims | undefined {
      const row = store.accounts.get(sub);
      if (!row || row.status !== "active" || row.account_type !== "human") return undefined;
      const profile = row as AccountRow & { email?: string | null; display_name?: string | null };
      const c: OidcClaims = { sub: row.id, preferred_username: row.username, groups: store.accounts.roles(row.id) };
      c.name = profile.display_name || row.username;
      // MCIAS has no mail round-trip: an address is entered by an admin (or the holder) and
      // is unique across accounts; it is vouched for as verified (docs/ARCHITECTURE.md).
      if (profile.email) {
        c.email = profile.email;
        c.email_verified = true;
      }
      return c;
    },

    /**
     * Decides whether the signed-in principal may sign in to `clientId` (an active human
     * holding one of the client's allowed_roles, when set). Audited either way.
     */
    authorizeLogin(ctx: Ctx, principal: Principal, clientId: string): boolean {
      const row = CLIENT_ID_RE.test(clientId) ? store.oidc.clients.get(clientId) : null;
      const target = { id: principal.id, username: principal.username };
      if (!row) {
        store.tx(() => audit.record(ctx, "oidc_login_refused", target, { client_id: clientId.slice(0, 64), reason: "unknown_client" }));
        return false;
      }
      const allowed = parseList(row.allowed_roles);
      const acct = store.accounts.get(principal.id);
      const roles = acct ? store.accounts.roles(acct.id) : [];
      const reason = !acct || acct.status !== "active" ? "account_inactive"
        : acct.account_type !== "human" ? "not_human"
        : allowed.length > 0 && !roles.some((r) => allowed.includes(r)) ? "role" : null;
      store.tx(() => {
        if (reason) audit.record(ctx, "oidc_login_refused", target, { client_id: row.id, client: row.name, reason });
        else audit.record(ctx, "oidc_login", target, { client_id: row.id, client: row.name });
      });
      return reason === null;
    },

    /** At token, refresh and userinfo time: still an active human allowed into the client? */
    stillAllowed(sub: string, clientId: string): boolean {
      const row = CLIENT_ID_RE.test(clientId) ? store.oidc.clients.get(clientId) : null;
      const acct = store.accounts.get(sub);
      if (!row || !acct || acct.status !== "active" || acct.account_type !== "human") return false;
      const allowed = parseList(row.allowed_roles);
      return allowed.length === 0 || store.accounts.roles(acct.id).some((r) => allowed.includes(r));
    },

    // The adapter (oidc-provider's storage interface), one bun:sqlite table.
    adapter: {
      upsert(model: string, id: string, payload: Record<string, unknown>, expiresInSec: number | undefined): void {
        // A token's id is the bearer value itself: kept only as the row key's hash.
        const stored: Record<string, unknown> = { ...payload };
        if (SECRET_ID_MODELS.has(model)) delete stored.jti;
        const str = (k: string) => (typeof payload[k] === "string" ? (payload[k] as string) : null);
        const session = payload.session as { accountId?: unknown } | undefined;
        const accountId = str("accountId") ?? (typeof session?.accountId === "string" ? session.accountId : null);
        const row: OidcPayloadRow = {
          model, id_hash: idHash(id), payload: JSON.stringify(stored), grant_id: model === "Grant" ? id : str("grantId"), uid: str("uid"),
          user_code: str("userCode"), account_id: accountId, client_id: str("clientId"),
          expires_at: expiresInSec ? clock.now() + expiresInSec * 1000 : null, consumed_at: null,
        };
        store.oidc.payloads.upsert(row);
      },
      find(model: string, id: string): Record<string, unknown> | undefined {
        return live(store.oidc.payloads.get(model, idHash(id)), id);
      },
      findByUid(model: string, uid: string): Record<string, unknown> | undefined {
        const r = store.oidc.payloads.byUid(model, uid);
        return r ? live(r, null) : undefined;
      },
      findByUserCode(model: string, code: string): Record<string, unknown> | undefined {
        const r = store.oidc.payloads.byUserCode(model, code);
        return r ? live(r, null) : undefined;
      },
      consume(model: string, id: string): void {
        store.oidc.payloads.consume(model, idHash(id), Math.floor(clock.now() / 1000));
      },
      destroy(model: string, id: string): void {
        store.oidc.payloads.destroy(model, idHash(id));
      },
      revokeByGrantId(grantId: string): void {
        store.oidc.payloads.revokeByGrantId(grantId);
      },
    },
  };

  function live(r: OidcPayloadRow | null, id: string | null): Record<string, unknown> | undefined {
    if (!r) return undefined;
    if (r.expires_at !== null && r.expires_at <= clock.now()) return undefined;
    const p = JSON.parse(r.payload) as Record<string, unknown>;
    if (id !== null) p.jti = id;
    if (r.consumed_at !== null) p.consumed = r.consumed_at;
    return p;
  }

  // ---- the account's own grants (dashboard) ----------------------------------------

  const grants = {
    /** The caller's OIDC grants (one per client they signed in to). */
    mine(ctx: Ctx): OidcGrantView[] {
      const p = ctx.principal;
      assertThat(p, "unauthorized");
      return store.oidc.payloads.grantsOf(p.id)
        .filter((r) => r.expires_at === null || r.expires_at > clock.now())
        .map((r) => {
          const payload = JSON.parse(r.payload) as { iat?: number };
          const client = r.client_id ? store.oidc.clients.get(r.client_id) : null;
          return {
            grant_id: grantIdOf(r), client_id: r.client_id ?? "", client_name: client?.name ?? "(deleted client)",
            created_at: typeof payload.iat === "number" ? iso(payload.iat * 1000) : null,
            expires_at: r.expires_at === null ? null : iso(r.expires_at),
          };
        });
    },

    /** Ends one of the caller's grants: its refresh and access tokens and codes die with it. */
    revoke(ctx: Ctx, grantId: string): void {
      const p = ctx.principal;
      assertThat(p, "unauthorized");
      store.tx(() => {
        const mine = store.oidc.payloads.grantsOf(p.id).find((r) => grantIdOf(r) === grantId);
        assertThat(mine, "not_found", "grant not found");
        store.oidc.payloads.revokeByGrantId(grantId);
        store.oidc.payloads.destroy("Grant", mine.id_hash);
        audit.record(ctx, "oidc_grant_revoked", { id: p.id, username: p.username }, { client_id: mine.client_id ?? "" });
      });
    },
  };

  /** A Grant row's id: its payload carries `jti` = the grant id, stripped on store; keep it in grant_id. */
  function grantIdOf(r: OidcPayloadRow): string {
    return r.grant_id ?? "";
  }

  return { clients, provider, grants };
}

export type OidcService = ReturnType<typeof createOidcService>;
