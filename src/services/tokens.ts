/**
 * Token lifecycle (SPEC §2): every issued JWT has a row; a token is valid only when
 * its signature and claims verify, its row exists unrevoked, and its account is active.
 */
import { AppError, assertThat } from "../errors";
import { newId } from "../crypto/random";
import { signToken, TokenRejected, verifyToken, type TokenClaims } from "../crypto/jwt";
import type { AccountRow } from "../store/accounts";
import { createVerifiedTokenCache } from "./tokenCache";
import type { LiveStateCache } from "./liveState";
import type { AuditService } from "./audit";
import type { Authz } from "./authz";
import { iso, type ServiceDeps } from "./deps";
import { AUDIENCE_RE } from "./limits";
import { type Ctx, type Principal } from "./principal";
import { toTokenView, type TokenView } from "./views";

export interface IssuedToken { token: string; expires_at: string; jti: string }

export interface ValidateResult {
  valid: true;
  sub: string;
  username: string;
  account_type: "human" | "system";
  roles: string[];
  jti: string;
  issued_at: string;
  expires_at: string;
  /** The audience the token was minted for, if any (SPEC §18). */
  audience?: string;
}

export function createTokenService(deps: ServiceDeps, audit: AuditService, authz: Authz, live: LiveStateCache) {
  const { store, vault, config, clock } = deps;
  const verified = createVerifiedTokenCache();

  function lifetimeMs(row: AccountRow, roles: string[]): number {
    if (row.account_type === "system") return config.tokens.serviceExpiryMs;
    return roles.includes("admin") ? config.tokens.adminExpiryMs : config.tokens.defaultExpiryMs;
  }

  /**
   * How long a human session may last from its auth_time, renewals included (SPEC §18):
   * `tokens.max_session`, and for admins at most three admin lifetimes. Service tokens
   * are not sessions: none.
   */
  function maxSessionMs(accountType: "human" | "system", roles: string[]): number {
    if (accountType === "system") return Number.POSITIVE_INFINITY;
    const max = config.tokens.maxSessionMs;
    return roles.includes("admin") ? Math.min(max, 3 * config.tokens.adminExpiryMs) : max;
  }

  function checkAudience(audience: string | undefined): void {
    if (audience !== undefined && !AUDIENCE_RE.test(audience)) {
      throw new AppError("bad_request", "audience must be 1-256 printable characters without spaces");
    }
  }

  /**
   * Signs a token for `row`. The caller must call `persist` inside its transaction
   * (with the audit row); a signed token without a row is never valid.
   */
  async function mint(row: AccountRow, opts: { audience?: string; authTimeMs?: number } = {}) {
    checkAudience(opts.audience);
    const roles = store.accounts.roles(row.id);
    const jwk = vault.publicJwk();
    assertThat(jwk, "vault_sealed");
    const nowMs = clock.now();
    const iat = Math.floor(nowMs / 1000);
    const authTime = Math.floor((opts.authTimeMs ?? nowMs) / 1000);
    // A renewal never reaches past the session's absolute end (SPEC §18).
    const end = authTime * 1000 + maxSessionMs(row.account_type, roles);
    if (end <= nowMs) throw new AppError("unauthorized", "the session reached its maximum lifetime; log in again");
    const exp = Math.min(iat + Math.floor(lifetimeMs(row, roles) / 1000), Number.isFinite(end) ? Math.floor(end / 1000) : Number.MAX_SAFE_INTEGER);
    const claims: TokenClaims = {
      iss: config.tokens.issuer, sub: row.id, iat, exp, jti: newId(), roles,
      account_type: row.account_type, username: row.username, auth_time: authTime,
      ...(opts.audience !== undefined ? { aud: opts.audience } : {}),
    };
    const token = await signToken(claims, vault.signingKey(), jwk.kid);
    const issued = { token, jti: claims.jti, expires_at: iso(exp * 1000) };
    return {
      issued,
      persist: () => store.tokens.insert({
        jti: claims.jti, account_id: row.id, kind: row.account_type === "system" ? "service" : "session",
        issued_at: iso(iat * 1000), expires_at: issued.expires_at,
      }),
    };
  }

  /** Verifies a token completely; returns the live principal or throws TokenRejected. */
  async function verify(token: string): Promise<{ claims: TokenClaims; principal: Principal; account: Readonly<AccountRow> }> {
    const pub = vault.publicKey();
    const jwk = vault.publicJwk();
    if (!pub || !jwk) throw new AppError("vault_sealed");
    // The signature/claims result is cached (tokenCache.ts); the row and account checks below run every time.
    const nowMs = clock.now();
    let claims = verified.get(jwk.kid, token, nowMs);
    if (!claims) {
      claims = await verifyToken(token, pub, { kid: jwk.kid, issuer: config.tokens.issuer, nowMs });
      verified.set(jwk.kid, token, claims);
    }
    // Token row, account and roles as they are in the database now (liveState.ts: read
    // again whenever anything anywhere has committed since they were read).
    const { row, acct, roles, tags, generation } = live.get(claims.jti);
    if (!row || row.revoked_at !== null || row.account_id !== claims.sub) throw new TokenRejected("revoked or unknown");
    if (Date.parse(row.expires_at) <= clock.now()) throw new TokenRejected("expired");
    if (!acct || acct.status !== "active") throw new TokenRejected("account not active");
    // Admin sessions are short (SPEC §2, tokens.admin_expiry). Roles are read now, so a human
    // promoted to admin mid-session holds admin rights only until admin_expiry after issue.
    if (acct.account_type === "human" && roles.includes("admin") && nowMs > claims.iat * 1000 + config.tokens.adminExpiryMs) {
      throw new TokenRejected("admin session older than admin_expiry");
    }
    // The absolute session lifetime holds at every verification, not only at renewal
    // (a max_session lowered in the config applies to sessions already open).
    const authTimeMs = (claims.auth_time ?? claims.iat) * 1000;
    if (nowMs >= authTimeMs + maxSessionMs(acct.account_type, roles)) throw new TokenRejected("session older than max_session");
    // Tags are read only when a policy decision needs them (validate and most routes do not).
    return {
      claims,
      account: acct,
      principal: {
        id: acct.id, username: acct.username, account_type: acct.account_type, status: acct.status,
        roles, tags, generation,
        jti: claims.jti, tokenIssuedAt: claims.iat * 1000, tokenExpiresAt: claims.exp * 1000,
        authTime: authTimeMs, ...(claims.aud !== undefined ? { audience: claims.aud } : {}),
      },
    };
  }

  return {
    mint,
    lifetimeMs,
    checkAudience,
    /** Whole seconds from now until `expiresAt` (RFC 3339), never negative: a cookie's Max-Age. */
    secondsUntil: (expiresAt: string): number => Math.max(0, Math.floor((Date.parse(expiresAt) - clock.now()) / 1000)),
    /** True when the caller's token is past half its life (the console renews it then). */
    pastHalfLife(p: Principal): boolean {
      if (p.tokenIssuedAt === undefined || p.tokenExpiresAt === undefined) return false;
      return clock.now() > p.tokenIssuedAt + (p.tokenExpiresAt - p.tokenIssuedAt) / 2;
    },
    /** Size of the verified-token cache (tests check it stays bounded). */
    cacheStats: () => verified.stats(),

    /** The signing key's public JWK (served only while unsealed). */
    publicJwk() {
      const jwk = vault.publicJwk();
      if (!jwk || vault.isSealed()) throw new AppError("vault_sealed");
      return jwk;
    },

    /** Bearer authentication: any failure is the same 401. */
    async authenticate(token: string): Promise<Principal> {
      try {
        return (await verify(token)).principal;
      } catch (e) {
        if (e instanceof AppError && e.code === "vault_sealed") throw e;
        throw new AppError("unauthorized", "invalid or expired token");
      }
    },

    /**
     * Like authenticate, also handing back the account row the check already read (from
     * the live-state cache): forward-auth's identity headers need its profile fields on
     * every request of every app without another lookup.
     */
    async authenticateWithAccount(token: string): Promise<{ principal: Principal; account: Readonly<AccountRow> }> {
      try {
        const { principal, account } = await verify(token);
        return { principal, account };
      } catch (e) {
        if (e instanceof AppError && e.code === "vault_sealed") throw e;
        throw new AppError("unauthorized", "invalid or expired token");
      }
    },

    /** POST /v1/token/validate: never throws for a bad token, answers valid:false. */
    async validate(token: string, audience?: string): Promise<ValidateResult | { valid: false }> {
      checkAudience(audience);
      try {
        const { claims, principal } = await verify(token);
        // A token minted for another app is not valid here; one without aud is valid for any.
        if (audience !== undefined && claims.aud !== undefined && claims.aud !== audience) throw new TokenRejected("audience mismatch");
        deps.telemetry?.validation(true);
        return {
          valid: true, sub: principal.id, username: principal.username, account_type: principal.account_type,
          roles: principal.roles, jti: claims.jti, issued_at: iso(claims.iat * 1000), expires_at: iso(claims.exp * 1000),
          ...(claims.aud !== undefined ? { audience: claims.aud } : {}),
        };
      } catch (e) {
        if (e instanceof AppError && e.code === "vault_sealed") throw e;
        deps.telemetry?.validation(false);
        return { valid: false };
      }
    },

    /** DELETE /v1/token/{jti}: admin, the token's owner, or who may manage its account. */
    revoke(ctx: Ctx, jti: string): void {
      const row = store.tokens.get(jti);
      assertThat(row, "not_found", "token not found");
      const acct = store.accounts.get(row.account_id);
      assertThat(acct, "not_found", "token not found");
      authz.require(ctx, "tokens:revoke", authz.accountResource(acct, "token"));
      store.tx(() => {
        if (store.tokens.revoke(jti, iso(clock.now()), "revoked")) {
          audit.record(ctx, "token_revoked", { id: acct.id, username: acct.username }, { jti });
        }
      });
    },

    /** GET /v1/accounts/{id}/tokens. */
    list(ctx: Ctx, accountId: string): TokenView[] {
      const acct = store.accounts.get(accountId);
      assertThat(acct, "not_found", "account not found");
      authz.require(ctx, "tokens:read", authz.accountResource(acct));
      return store.tokens.listFor(accountId).map(toTokenView);
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
