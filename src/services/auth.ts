/**
 * Self-service authentication (SPEC §3 /v1/auth/*): login, logout, renew, me,
 * password change, TOTP enrollment.
 *
 * Login runs exactly one Argon2id verify on every path (a decoy hash for unknown
 * users, system accounts and locked accounts), so failures take the same time and
 * answer the same 401.
 */
import { AppError, assertThat } from "../errors";
import { openString, sealString } from "../crypto/aead";
import { hashPassword, makeDecoyHash, needsRehash, passwordProblem, verifyPassword } from "../crypto/password";
import { matchTotp, newTotpSecret, totpUri } from "../crypto/totp";
import { newRecoveryCode, normalizeRecoveryCode, RECOVERY_CODE_COUNT, recoveryCodeHash } from "../crypto/oneTimeSecrets";
import type { AccountRow } from "../store/accounts";
import type { AuditService } from "./audit";
import type { Authz } from "./authz";
import { iso, type ServiceDeps } from "./deps";
import { USERNAME_RE } from "./limits";
import { type Ctx, type Principal } from "./principal";
import { afterFailure, CLEARED, isLocked } from "./lockout";
import type { LiveStateCache } from "./liveState";
import type { IssuedToken, TokenService } from "./tokens";
import { toAccountView, type AccountView } from "./views";

export const totpAad = (accountId: string) => `totp:${accountId}`;
const LOGIN_FAILED = "invalid credentials";

export function createAuthService(deps: ServiceDeps, audit: AuditService, authz: Authz, tokens: TokenService, live: LiveStateCache) {
  const { store, vault, config, clock, log } = deps;
  // Unknown, locked and password-less accounts verify against this (one Argon2id on every path).
  const decoy = makeDecoyHash(config.argon2);

  function fail(): never {
    throw new AppError("unauthorized", LOGIN_FAILED);
  }

  function target(row: AccountRow) {
    return { id: row.id, username: row.username };
  }

  function recordFailure(ctx: Ctx, row: AccountRow, type: "login_fail" | "login_totp_fail", reason: string): void {
    const now = clock.now();
    store.tx(() => {
      const fresh = store.accounts.get(row.id)!;
      const next = afterFailure(fresh, config.lockout, now);
      store.accounts.setLockoutState(row.id, next);
      audit.record(ctx, type, target(row), { reason, failures: next.failed_count, locked: isLocked(next, now) });
    });
  }

  /**
   * Step-up (SPEC §18): the current password in the same request, for changes that add
   * or reveal an authenticator (TOTP, passkeys, recovery codes, email). Missing or wrong:
   * 403; a wrong one counts toward the login lockout like a failed login, so a stolen
   * token cannot guess at it.
   */
  async function stepUp(ctx: Ctx, row: AccountRow, currentPassword: string | undefined): Promise<void> {
    if (currentPassword === undefined || currentPassword === "") {
      throw new AppError("forbidden", "this change needs your current password (current_password)");
    }
    if (isLocked(row, clock.now())) throw new AppError("forbidden", "account is locked; try again later");
    const ok = row.password_hash !== null && (await verifyPassword(currentPassword, row.password_hash));
    if (!ok) {
      recordFailure(ctx, row, "login_fail", "bad_current_password");
      throw new AppError("forbidden", "current password is incorrect");
    }
  }

  function selfRow(ctx: Ctx): { p: Principal; row: AccountRow } {
    const p = ctx.principal;
    assertThat(p, "unauthorized");
    const row = store.accounts.get(p.id);
    assertThat(row && row.status === "active", "unauthorized");
    return { p, row };
  }

  function requireHuman(row: AccountRow): void {
    if (row.account_type !== "human") throw new AppError("forbidden", "only human accounts can do this");
  }

  return {
    stepUp,
    async login(ctx: Ctx, input: { username: string; password: string; totp_code?: string; audience?: string }): Promise<IssuedToken> {
      if (vault.isSealed()) throw new AppError("vault_sealed");
      tokens.checkAudience(input.audience);
      const name = input.username.toLowerCase();
      const row = USERNAME_RE.test(name) ? store.accounts.getByUsername(name) ?? null : null;
      const now = clock.now();
      const canPassword = row !== null && row.account_type === "human" && row.status === "active" && row.password_hash !== null;
      const locked = row !== null && isLocked(row, now);
      const hash = canPassword && !locked ? row.password_hash! : decoy;
      const ok = (await verifyPassword(input.password, hash)) && canPassword && !locked;

      if (row === null) {
        store.tx(() => audit.record(ctx, "login_fail", null, { reason: "unknown_user", ...(USERNAME_RE.test(name) ? { username: name } : {}) }));
        fail();
      }
      if (locked) {
        store.tx(() => audit.record(ctx, "login_locked", target(row), {}));
        fail();
      }
      if (!canPassword) {
        store.tx(() => audit.record(ctx, "login_fail", target(row), { reason: row.account_type === "system" ? "system_account" : `status_${row.status}` }));
        fail();
      }
      if (!ok) {
        recordFailure(ctx, row, "login_fail", "bad_password");
        fail();
      }
      // SPEC §15: a recovery code stands in for a TOTP code, once.
      const recovery = row.totp_enabled === 1 ? normalizeRecoveryCode(input.totp_code ?? "") : null;
      if (recovery !== null) {
        const used = store.tx(() => {
          if (!store.recoveryCodes.consume(row.id, recoveryCodeHash(recovery), iso(now))) return false;
          audit.record(ctx, "recovery_code_used", target(row), { remaining: store.recoveryCodes.remaining(row.id) });
          return true;
        });
        if (!used) {
          recordFailure(ctx, row, "login_totp_fail", "recovery_code_wrong");
          fail();
        }
      } else if (row.totp_enabled === 1) {
        const code = input.totp_code ?? "";
        const secret = openString(vault.masterKey(), row.totp_secret_enc!, totpAad(row.id));
        const step = code === "" ? null : matchTotp(secret, code, now);
        // claimTotpStep is atomic: a code is accepted once, even by concurrent logins.
        if (step === null || !store.accounts.claimTotpStep(row.id, step)) {
          recordFailure(ctx, row, "login_totp_fail", code === "" ? "totp_missing" : step === null ? "totp_wrong" : "totp_replay");
          fail();
        }
      }
      const upgraded = needsRehash(row.password_hash!, config.argon2) ? await hashPassword(input.password, config.argon2) : null;
      const minted = await tokens.mint(row, { audience: input.audience });
      const actor: Ctx = { ...ctx, principal: { id: row.id, username: row.username, account_type: row.account_type, status: row.status, roles: [], tags: [] } };
      // The checks above read the row before a ~100 ms verify: concurrent failures may have
      // locked the account meanwhile, or an admin deactivated it or reset its password.
      // Decide again on the fresh row, in the transaction that issues the token.
      const refused = store.tx(() => {
        const fresh = store.accounts.get(row.id);
        if (!fresh || fresh.status !== "active" || fresh.password_hash !== row.password_hash) {
          audit.record(ctx, "login_fail", target(row), { reason: "changed_during_login" });
          return true;
        }
        if (isLocked(fresh, clock.now())) {
          audit.record(ctx, "login_locked", target(row), {});
          return true;
        }
        if (upgraded) store.accounts.setPasswordHash(row.id, upgraded, iso(now));
        store.accounts.setLockoutState(row.id, CLEARED);
        minted.persist();
        audit.record(actor, "login_ok", target(row), { jti: minted.issued.jti });
        return false;
      });
      if (refused) fail();
      if (upgraded) log.info("password hash upgraded", { account_id: row.id });
      return { token: minted.issued.token, expires_at: minted.issued.expires_at, jti: minted.issued.jti };
    },

    logout(ctx: Ctx): void {
      const { p, row } = selfRow(ctx);
      store.tx(() => {
        if (p.jti && store.tokens.revoke(p.jti, iso(clock.now()), "logout")) audit.record(ctx, "logout", target(row), { jti: p.jti });
      });
    },

    /**
     * A fresh token for the same session (SPEC §18): same auth_time (so never past
     * max_session) and same audience — an audience-less token may be narrowed to one,
     * an app's token is never widened or moved to another app.
     */
    async renew(ctx: Ctx, input: { audience?: string } = {}): Promise<IssuedToken> {
      const { p, row } = selfRow(ctx);
      assertThat(p.jti, "unauthorized");
      tokens.checkAudience(input.audience);
      if (input.audience !== undefined && p.audience !== undefined && input.audience !== p.audience) {
        throw new AppError("forbidden", "a token minted for one audience cannot be renewed for another");
      }
      const minted = await tokens.mint(row, { audience: input.audience ?? p.audience, authTimeMs: p.authTime });
      store.tx(() => {
        // Revoke-then-insert in one transaction: a token already revoked (a raced renew) cannot mint another.
        if (!store.tokens.revoke(p.jti!, iso(clock.now()), "renewed")) throw new AppError("unauthorized", "invalid or expired token");
        minted.persist();
        audit.record(ctx, "token_renewed", target(row), { old_jti: p.jti!, jti: minted.issued.jti });
      });
      return minted.issued;
    },

    me(ctx: Ctx): AccountView {
      const p = ctx.principal;
      assertThat(p, "unauthorized");
      // Read through the live-state cache: exact (any commit anywhere drops it), and the
      // authentication of this same request has just loaded the account.
      const a = live.account(p.id, p.generation);
      assertThat(a && a.acct.status === "active", "unauthorized");
      return toAccountView(a.acct, a.roles, a.tags);
    },

    async changePassword(ctx: Ctx, input: { current_password: string; new_password: string }): Promise<void> {
      const { p, row } = selfRow(ctx);
      requireHuman(row);
      authz.require(ctx, "password:change", authz.accountResource(row));
      const problem = passwordProblem(input.new_password, row.username);
      if (problem) throw new AppError("bad_request", problem);
      // A stolen token must not buy unlimited guesses at the current password: wrong
      // answers count toward the same lockout as failed logins.
      if (isLocked(row, clock.now())) throw new AppError("forbidden", "account is locked; try again later");
      const ok = row.password_hash !== null && (await verifyPassword(input.current_password, row.password_hash));
      if (!ok) {
        recordFailure(ctx, row, "login_fail", "bad_current_password");
        throw new AppError("forbidden", "current password is incorrect");
      }
      const hash = await hashPassword(input.new_password, config.argon2);
      store.tx(() => {
        // The current password was checked against a row read before two Argon2 runs: if
        // the hash changed meanwhile (an admin reset), it no longer proves anything.
        if (store.accounts.get(row.id)?.password_hash !== row.password_hash) throw new AppError("forbidden", "current password is incorrect");
        const now = iso(clock.now());
        store.accounts.setPasswordHash(row.id, hash, now);
        const revoked = store.tokens.revokeAllFor(row.id, now, "password_changed", p.jti);
        audit.record(ctx, "password_changed", target(row), { self: true, tokens_revoked: revoked.length });
      });
    },

    /** Step-up (SPEC §18): a bearer token alone cannot add an authenticator. */
    async totpEnroll(ctx: Ctx, input: { current_password?: string } = {}): Promise<{ secret: string; otpauth_uri: string }> {
      const { row } = selfRow(ctx);
      requireHuman(row);
      authz.require(ctx, "totp:enroll", authz.accountResource(row));
      await stepUp(ctx, row, input.current_password);
      // Replacing an active second factor with only a bearer token would let a stolen token
      // disarm it; an admin removes TOTP first (DELETE /v1/accounts/{id}/totp).
      if (row.totp_enabled === 1) throw new AppError("conflict", "TOTP is already enabled; ask an admin to remove it first");
      const secret = newTotpSecret();
      store.accounts.setTotpPending(row.id, sealString(vault.masterKey(), secret, totpAad(row.id)), iso(clock.now()));
      return { secret, otpauth_uri: totpUri(secret, row.username, issuerLabel(config.tokens.issuer)) };
    },

    /** The caller's enrollment in progress (same secret until confirmed), or null. */
    totpPending(ctx: Ctx): { secret: string; otpauth_uri: string } | null {
      const { row } = selfRow(ctx);
      requireHuman(row);
      authz.require(ctx, "totp:enroll", authz.accountResource(row));
      if (row.totp_enabled === 1 || !row.totp_pending_enc) return null;
      const secret = openString(vault.masterKey(), row.totp_pending_enc, totpAad(row.id));
      return { secret, otpauth_uri: totpUri(secret, row.username, issuerLabel(config.tokens.issuer)) };
    },

    totpConfirm(ctx: Ctx, code: string): { recovery_codes: string[] } {
      const { row } = selfRow(ctx);
      requireHuman(row);
      authz.require(ctx, "totp:enroll", authz.accountResource(row));
      if (row.totp_enabled === 1) throw new AppError("conflict", "TOTP is already enabled");
      if (!row.totp_pending_enc) throw new AppError("bad_request", "no TOTP enrollment in progress");
      const key = vault.masterKey();
      const secret = openString(key, row.totp_pending_enc, totpAad(row.id));
      const step = matchTotp(secret, code, clock.now());
      if (step === null) throw new AppError("bad_request", "TOTP code is incorrect");
      const codes = newRecoveryCodes();
      store.tx(() => {
        const t = iso(clock.now());
        store.accounts.confirmTotp(row.id, sealString(key, secret, totpAad(row.id)), step, t);
        store.recoveryCodes.replace(row.id, codes.hashes, t);
        audit.record(ctx, "totp_enrolled", target(row), { recovery_codes: codes.plain.length });
      });
      return { recovery_codes: codes.plain };
    },

    /**
     * POST /v1/auth/recovery-codes (SPEC §15): a new set of 10 codes for the caller,
     * shown once; the old set dies. Needs the current password, and a wrong one counts
     * toward lockout like a failed login (a stolen token buys no free guesses).
     */
    async regenerateRecoveryCodes(ctx: Ctx, input: { current_password: string }): Promise<{ recovery_codes: string[] }> {
      const { row } = selfRow(ctx);
      requireHuman(row);
      authz.require(ctx, "totp:enroll", authz.accountResource(row));
      if (row.totp_enabled !== 1) throw new AppError("conflict", "recovery codes stand in for TOTP codes: enable TOTP first");
      await stepUp(ctx, row, input.current_password);
      const codes = newRecoveryCodes();
      store.tx(() => {
        const fresh = store.accounts.get(row.id);
        if (fresh?.password_hash !== row.password_hash || fresh?.totp_enabled !== 1) throw new AppError("conflict", "the account changed meanwhile; try again");
        store.recoveryCodes.replace(row.id, codes.hashes, iso(clock.now()));
        audit.record(ctx, "recovery_codes_regenerated", target(row), { recovery_codes: codes.plain.length });
      });
      return { recovery_codes: codes.plain };
    },

    /** How many unused recovery codes the caller has left (the profile page shows it). */
    recoveryCodesLeft(ctx: Ctx): number {
      const { row } = selfRow(ctx);
      return store.recoveryCodes.remaining(row.id);
    },
  };
}

function newRecoveryCodes(): { plain: string[]; hashes: string[] } {
  const plain = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  return { plain, hashes: plain.map((c) => recoveryCodeHash(normalizeRecoveryCode(c)!)) };
}

/** "https://auth.example.com" → "auth.example.com" for authenticator apps. */
function issuerLabel(issuer: string): string {
  try {
    return new URL(issuer).host || "MCIAS";
  } catch {
    return issuer.slice(0, 64) || "MCIAS";
  }
}

export type AuthService = ReturnType<typeof createAuthService>;
