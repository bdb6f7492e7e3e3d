/**
 * Builds panva's oidc-provider over MCIAS's services: storage, clients, keys, accounts
 * and claims all come from src/services/oidcProvider.ts. One instance per keyset version (a
 * new RS256/ES256 key or an unseal builds a new one); nothing here touches the store
 * or the vault.
 */
import type Provider from "oidc-provider";
import type { AdapterLike, Configuration, InteractionPolicyModule, KoaContextLike } from "oidc-provider";
import type { Logger } from "../log";
import type { Services } from "../services";
import type { OidcKeyset } from "../services/oidcProvider";
import { errorPage, logoutPage, loggedOutPage } from "./pages";

export const OIDC_PREFIX = "/oidc";
export const DISCOVERY_PATH = "/.well-known/openid-configuration";

/** Every claim MCIAS releases, by scope (SPEC §16). */
const CLAIMS: Record<string, string[]> = {
  openid: ["sub"],
  profile: ["preferred_username", "name"],
  email: ["email", "email_verified"],
  groups: ["groups"],
};

export interface ProviderModule {
  Provider: typeof Provider;
  interactionPolicy: InteractionPolicyModule;
}

/**
 * Loads oidc-provider on first use (CLI commands never pay for it). It warns
 * "Unsupported runtime" on Bun when its module is evaluated: that one line is dropped
 * here (the version is pinned and the suites run it on Bun, docs/ARCHITECTURE.md) so
 * stderr stays clean and the log stays JSON.
 */
export async function loadProviderModule(): Promise<ProviderModule> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].includes("oidc-provider WARNING: Unsupported runtime")) return;
    warn(...args);
  };
  try {
    const m = await import("oidc-provider");
    return { Provider: m.default, interactionPolicy: m.interactionPolicy };
  } finally {
    console.warn = warn;
  }
}

/**
 * The interaction policy: oidc-provider's default (login, then consent) plus one login
 * check that always asks, unless this request is the return from an interaction. So
 * every authorization passes /oidc/interaction, where the console session decides: a
 * console sign-out or another person signing in on the same browser can never ride on
 * an older provider session, and the role check and audit row happen every time.
 * (prompt=none therefore answers login_required: apps use refresh tokens instead.)
 */
function policy(ip: InteractionPolicyModule) {
  const p = ip.base();
  p.get("login")!.checks.push(new ip.Check("mcias_session", "MCIAS decides each sign-in on its own session",
    (ctx: { oidc: { result?: { login?: unknown } } }) => (ctx.oidc.result?.login ? ip.Check.NO_NEED_TO_PROMPT : ip.Check.REQUEST_PROMPT)));
  return p;
}

export function buildProvider({ Provider, interactionPolicy }: ProviderModule, s: Services, keyset: OidcKeyset, log: Logger): Provider {
  const o = s.oidc.provider;
  const ttl = o.ttl();
  const sec = (ms: number) => Math.max(1, Math.floor(ms / 1000));

  class Adapter implements AdapterLike {
    constructor(private readonly model: string) {}
    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) { o.adapter.upsert(this.model, id, payload, expiresIn); }
    async find(id: string) {
      if (this.model === "Client") return o.client(id) as Record<string, unknown> | undefined;
      return o.adapter.find(this.model, id);
    }
    async findByUserCode(code: string) { return o.adapter.findByUserCode(this.model, code); }
    async findByUid(uid: string) { return o.adapter.findByUid(this.model, uid); }
    async consume(id: string) { o.adapter.consume(this.model, id); }
    async destroy(id: string) { o.adapter.destroy(this.model, id); }
    async revokeByGrantId(grantId: string) { o.adapter.revokeByGrantId(grantId); }
  }

  const config: Configuration = {
    adapter: Adapter,
    jwks: { keys: keyset.signing },
    cookies: {
      keys: keyset.cookieKeys,
      names: { session: "mcias_oidc_session", interaction: "mcias_oidc_interaction", resume: "mcias_oidc_resume" },
      long: { httpOnly: true, sameSite: "lax", signed: true, secure: true },
      short: { httpOnly: true, sameSite: "lax", signed: true, secure: true },
    },
    async findAccount(ctx: KoaContextLike, sub: string) {
      // Called at authorization, token, refresh and userinfo time: an account that was
      // deactivated or lost the client's role gets nothing more.
      const clientId = ctx.oidc.client?.clientId;
      if (clientId && !o.stillAllowed(sub, clientId)) return undefined;
      const claims = o.claims(sub);
      if (!claims) return undefined;
      return { accountId: sub, claims: () => ({ ...claims }) };
    },
    claims: CLAIMS,
    scopes: ["openid", "offline_access", "profile", "email", "groups"],
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource: logoutPage, postLogoutSuccessSource: loggedOutPage },
    },
    enabledJWA: { idTokenSigningAlgValues: ["EdDSA", "RS256", "ES256"], userinfoSigningAlgValues: ["EdDSA", "RS256", "ES256"] },
    responseTypes: ["code"],
    pkce: {
      // Public clients must use PKCE (S256, the only method oidc-provider 9 offers);
      // a confidential client that sends a challenge is held to it too.
      required: (_ctx, client) => client.clientAuthMethod === "none",
    },
    ttl: {
      AuthorizationCode: sec(ttl.codeTtlMs),
      AccessToken: sec(ttl.accessTokenTtlMs),
      IdToken: sec(ttl.idTokenTtlMs),
      RefreshToken: sec(ttl.refreshTokenTtlMs),
      Session: sec(ttl.sessionTtlMs),
      Grant: sec(ttl.sessionTtlMs),
      Interaction: 600,
    },
    interactions: { policy: policy(interactionPolicy), url: (_ctx, interaction) => `${OIDC_PREFIX}/interaction/${interaction.uid}` },
    routes: {
      authorization: `${OIDC_PREFIX}/auth`,
      token: `${OIDC_PREFIX}/token`,
      userinfo: `${OIDC_PREFIX}/userinfo`,
      jwks: `${OIDC_PREFIX}/jwks`,
      end_session: `${OIDC_PREFIX}/session/end`,
      revocation: `${OIDC_PREFIX}/token/revocation`,
      introspection: `${OIDC_PREFIX}/token/introspection`,
      pushed_authorization_request: `${OIDC_PREFIX}/request`,
      registration: `${OIDC_PREFIX}/reg`,
      code_verification: `${OIDC_PREFIX}/device`,
      device_authorization: `${OIDC_PREFIX}/device/auth`,
      backchannel_authentication: `${OIDC_PREFIX}/backchannel`,
      challenge: `${OIDC_PREFIX}/challenge`,
      credential: `${OIDC_PREFIX}/credential`,
    },
    // Every client is registered by an admin: consent is implied (SPEC §16). The
    // interaction (src/oidc/interaction.ts) creates the grant after the role check.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    // rotateRefreshToken: oidc-provider's default — public clients' refresh tokens rotate on
    // every use (a reused one revokes the grant); confidential clients' after 70% of their life.
    clientBasedCORS: (ctx, origin, client) => {
      if (origin === "null") return false;
      if (ctx.oidc.route === "userinfo" || client.clientAuthMethod === "none") {
        return client.redirectUris.some((uri) => URL.parse(uri)?.origin === origin);
      }
      return false;
    },
    renderError: errorPage,
  };
  const provider = new Provider(o.issuer(), config);
  provider.proxy = true;
  provider.on("server_error", (_ctx: unknown, err: unknown) => {
    log.error("oidc provider error", { error: (err as Error)?.name ?? "Error", message: String((err as Error)?.message ?? "").slice(0, 200) });
  });
  return provider;
}
