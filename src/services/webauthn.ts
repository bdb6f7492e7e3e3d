/**
 * Passkeys and security keys (SPEC §15) with @simplewebauthn/server.
 *
 * - Registration: a signed-in human asks for options (a fresh challenge bound to their
 *   account), the browser creates a credential, the server verifies it against the
 *   configured RP ID and origins and stores the public key only. Attestation "none":
 *   MCIAS does not restrict authenticator makes (see docs/ARCHITECTURE.md).
 * - Login: options need no username (discoverable credentials); the assertion names
 *   its credential, which names the account. An assertion with user verification
 *   (PIN, biometrics) is a complete login and satisfies TOTP. One without (a plain
 *   security key) is a second factor: the account's password must come with it.
 * - The signature counter must grow (or stay 0 for authenticators without one); a
 *   regression means a cloned authenticator and is refused and audited.
 * - Failures count toward the same per-account lockout as password failures.
 *
 * Challenges live in the database (migration 0005: `pending_entries`, keyed by SHA-256
 * of the challenge) for 5 minutes, single use (taking one deletes it in the same
 * statement), bounded in number: with `[server] workers` > 1 the verify step may reach
 * another serving thread than the options step, and a restart does not lose them.
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { AppError, assertThat } from "../errors";
import { verifyPassword } from "../crypto/password";
import { sha256Hex } from "../crypto/oneTimeSecrets";
import { newId } from "../crypto/random";
import type { AccountRow } from "../store/accounts";
import type { WebauthnCredentialRow } from "../store/onboarding";
import type { AuditService } from "./audit";
import type { Authz } from "./authz";
import { iso, USERNAME_RE, type Ctx, type ServiceDeps } from "./context";
import { afterFailure, CLEARED, isLocked } from "./lockout";
import type { IssuedToken, TokenService } from "./tokens";

export interface CredentialView { id: string; name: string; created_at: string; last_used_at: string | null }

export function toCredentialView(r: WebauthnCredentialRow): CredentialView {
  return { id: r.id, name: r.name, created_at: r.created_at, last_used_at: r.last_used_at };
}

const CHALLENGE_TTL_MS = 5 * 60_000;
const MAX_CHALLENGES = 10_000;
const MAX_CREDENTIALS = 20;
const LOGIN_FAILED = "invalid credentials";

interface Pending { kind: "register" | "login"; accountId: string | null }
/** The pending_entries kind of a challenge. */
const pendingKind = (k: Pending["kind"]) => `webauthn_${k}`;
const NO_PAYLOAD = new Uint8Array(0);

/** The challenge a client response carries, read from its clientDataJSON (verified later by the library). */
function challengeOf(clientDataJSON: string): string | null {
  try {
    const c = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8")) as { challenge?: unknown };
    return typeof c.challenge === "string" && c.challenge.length <= 128 ? c.challenge : null;
  } catch {
    return null;
  }
}

export function validCredentialName(name: string): string {
  const n = name.trim();
  if (n.length < 1 || n.length > 64 || /[\u0000-\u001f\u007f]/.test(n)) throw new AppError("bad_request", "name must be 1-64 characters without control characters");
  return n;
}

/** auth.stepUp (SPEC §18): the current password, checked and counted toward lockout. */
export type StepUp = (ctx: Ctx, row: AccountRow, currentPassword: string | undefined) => Promise<void>;

export function createWebauthnService(deps: ServiceDeps, audit: AuditService, authz: Authz, tokens: TokenService, stepUp: StepUp) {
  const { store, config, clock, vault } = deps;
  const rp = config.webauthn;
  // Loaded on the first ceremony (idle memory and start time stay as they were); its
  // X.509 dependency needs the Reflect polyfill in place before it loads.
  let loaded: Promise<typeof import("@simplewebauthn/server")> | null = null;
  const lib = () => (loaded ??= import("reflect-metadata").then(() => import("@simplewebauthn/server")));
  const target = (r: AccountRow) => ({ id: r.id, username: r.username });

  function remember(challenge: string, p: Pending): void {
    const now = clock.now();
    store.tx(() => store.pending.put({
      kind: pendingKind(p.kind), key_hash: sha256Hex(challenge), account_id: p.accountId, payload: NO_PAYLOAD,
      created_at: now, expires_at: now + CHALLENGE_TTL_MS,
    }, MAX_CHALLENGES));
  }

  /** Takes (single use) the pending challenge a response answers; null when unknown or expired. */
  function take(clientDataJSON: string, kind: Pending["kind"]): { challenge: string; p: Pending } | null {
    const challenge = challengeOf(clientDataJSON);
    if (!challenge) return null;
    const row = store.pending.take(pendingKind(kind), sha256Hex(challenge));
    if (!row || row.expires_at <= clock.now()) return null;
    return { challenge, p: { kind, accountId: row.account_id } };
  }

  function selfRow(ctx: Ctx): AccountRow {
    assertThat(ctx.principal, "unauthorized");
    const row = store.accounts.get(ctx.principal.id);
    assertThat(row && row.status === "active", "unauthorized");
    if (row.account_type !== "human") throw new AppError("forbidden", "only human accounts can do this");
    return row;
  }

  function loadCredential(id: string): { cred: WebauthnCredentialRow; owner: AccountRow } {
    const cred = store.webauthn.get(id);
    const owner = cred ? store.accounts.get(cred.account_id) : null;
    if (!cred || !owner) throw new AppError("not_found", "credential not found");
    return { cred, owner };
  }

  function loginFail(ctx: Ctx, row: AccountRow | null, reason: string, count: boolean): never {
    const now = clock.now();
    store.tx(() => {
      if (row && count) {
        const fresh = store.accounts.get(row.id)!;
        const next = afterFailure(fresh, config.lockout, now);
        store.accounts.setLockoutState(row.id, next);
        audit.record(ctx, "login_fail", target(row), { method: "webauthn", reason, failures: next.failed_count, locked: isLocked(next, now) });
      } else {
        audit.record(ctx, "login_fail", row ? target(row) : null, { method: "webauthn", reason });
      }
    });
    throw new AppError("unauthorized", LOGIN_FAILED);
  }

  return {
    /**
     * POST /v1/auth/webauthn/register/options: creation options for the caller. Adding
     * an authenticator is a step-up action (SPEC §18): the current password comes in the
     * same request; the challenge it yields is what binds the verify step to it.
     */
    async registerOptions(ctx: Ctx, input: { current_password?: string } = {}) {
      const row = selfRow(ctx);
      authz.require(ctx, "webauthn:manage", authz.accountResource(row));
      await stepUp(ctx, row, input.current_password);
      const existing = store.webauthn.listFor(row.id);
      if (existing.length >= MAX_CREDENTIALS) throw new AppError("conflict", `at most ${MAX_CREDENTIALS} passkeys per account; remove one first`);
      const options = await (await lib()).generateRegistrationOptions({
        rpName: rp.rpName,
        rpID: rp.rpId,
        userName: row.username,
        userID: new TextEncoder().encode(row.id),
        userDisplayName: row.display_name ?? row.username,
        attestationType: "none",
        timeout: 120_000,
        excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: JSON.parse(c.transports) as string[] })),
        authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
      });
      remember(options.challenge, { kind: "register", accountId: row.id });
      return options;
    },

    /** POST /v1/auth/webauthn/register/verify → the stored credential. */
    async registerVerify(ctx: Ctx, input: { response: RegistrationResponseJSON; name?: string }): Promise<CredentialView> {
      const row = selfRow(ctx);
      authz.require(ctx, "webauthn:manage", authz.accountResource(row));
      const name = input.name === undefined ? null : validCredentialName(input.name);
      const got = take(input.response.response.clientDataJSON, "register");
      if (!got || got.p.accountId !== row.id) throw new AppError("bad_request", "unknown or expired registration challenge; start again");
      const { verifyRegistrationResponse } = await lib();
      let info;
      try {
        const v = await verifyRegistrationResponse({
          response: input.response, expectedChallenge: got.challenge, expectedOrigin: rp.origins, expectedRPID: rp.rpId,
          requireUserVerification: false,
        });
        if (!v.verified) throw new Error("not verified");
        info = v.registrationInfo;
      } catch {
        throw new AppError("bad_request", "the authenticator's response did not verify");
      }
      const id = newId();
      return store.tx(() => {
        if (store.webauthn.byCredentialId(info.credential.id)) throw new AppError("conflict", "this authenticator is already registered");
        const n = store.webauthn.countFor(row.id);
        if (n >= MAX_CREDENTIALS) throw new AppError("conflict", `at most ${MAX_CREDENTIALS} passkeys per account`);
        const t = iso(clock.now());
        const transports = info.credential.transports ?? [];
        const passkeyLike = info.credentialDeviceType === "multiDevice" || transports.includes("internal") || transports.includes("hybrid");
        const label = name ?? `${passkeyLike ? "Passkey" : "Security key"} ${n + 1}`;
        store.webauthn.insert({
          id, account_id: row.id, credential_id: info.credential.id, public_key: info.credential.publicKey,
          sign_count: info.credential.counter, transports: JSON.stringify(info.credential.transports ?? []), name: label,
          aaguid: info.aaguid, device_type: info.credentialDeviceType, backed_up: info.credentialBackedUp ? 1 : 0, created_at: t,
        });
        audit.record(ctx, "webauthn_registered", target(row), { credential: id, name: label, device_type: info.credentialDeviceType, user_verified: info.userVerified });
        return toCredentialView(store.webauthn.get(id)!);
      });
    },

    /** The credentials of an account: the caller's own, or any account's for an admin. */
    list(ctx: Ctx, accountId?: string): CredentialView[] {
      const row = accountId === undefined ? selfRow(ctx) : store.accounts.get(accountId);
      if (!row) throw new AppError("not_found", "account not found");
      authz.require(ctx, "webauthn:manage", authz.accountResource(row));
      return store.webauthn.listFor(row.id).map(toCredentialView);
    },

    /** PATCH …/credentials/{id} {name}: own credentials (or, for an admin, any). */
    rename(ctx: Ctx, credentialId: string, name: string, opts: { accountId?: string } = {}): CredentialView {
      const { cred, owner } = loadCredential(credentialId);
      if (opts.accountId !== undefined && opts.accountId !== owner.id) throw new AppError("not_found", "credential not found");
      if (opts.accountId === undefined && ctx.principal?.id !== owner.id) throw new AppError("not_found", "credential not found");
      authz.require(ctx, "webauthn:manage", authz.accountResource(owner));
      const n = validCredentialName(name);
      return store.tx(() => {
        store.webauthn.rename(cred.id, n);
        audit.record(ctx, "webauthn_renamed", target(owner), { credential: cred.id, name: n });
        return toCredentialView(store.webauthn.get(cred.id)!);
      });
    },

    /** DELETE …/credentials/{id}: the caller's own, or (admin path) any account's. */
    remove(ctx: Ctx, credentialId: string, opts: { accountId?: string } = {}): void {
      const { cred, owner } = loadCredential(credentialId);
      if (opts.accountId !== undefined && opts.accountId !== owner.id) throw new AppError("not_found", "credential not found");
      // The own-credentials path never reveals another account's credential ids.
      if (opts.accountId === undefined && ctx.principal?.id !== owner.id && !ctx.operator) throw new AppError("not_found", "credential not found");
      authz.require(ctx, "webauthn:manage", authz.accountResource(owner));
      store.tx(() => {
        if (store.webauthn.delete(cred.id)) audit.record(ctx, "webauthn_removed", target(owner), { credential: cred.id, name: cred.name });
      });
    },

    /**
     * POST /v1/auth/webauthn/login/options: with no username, for discoverable
     * credentials (passkeys); with one, its credentials are listed for security keys
     * (an unknown username gets the same shape, with none listed).
     */
    async loginOptions(_ctx: Ctx, input: { username?: string } = {}) {
      if (vault.isSealed()) throw new AppError("vault_sealed");
      let accountId: string | null = null;
      let allow: { id: string; transports?: string[] }[] = [];
      if (input.username !== undefined) {
        const name = input.username.toLowerCase();
        const row = USERNAME_RE.test(name) ? store.accounts.getByUsername(name) : null;
        if (row && row.account_type === "human" && row.status === "active") {
          accountId = row.id;
          allow = store.webauthn.listFor(row.id).map((c) => ({ id: c.credential_id, transports: JSON.parse(c.transports) as string[] }));
        }
      }
      const options = await (await lib()).generateAuthenticationOptions({ rpID: rp.rpId, allowCredentials: allow, userVerification: "preferred", timeout: 120_000 });
      remember(options.challenge, { kind: "login", accountId });
      return options;
    },

    /** POST /v1/auth/webauthn/login/verify {response, password?} → a session token. */
    async loginVerify(ctx: Ctx, input: { response: AuthenticationResponseJSON; password?: string; audience?: string }): Promise<IssuedToken> {
      if (vault.isSealed()) throw new AppError("vault_sealed");
      tokens.checkAudience(input.audience);
      const got = take(input.response.response.clientDataJSON, "login");
      const cred = store.webauthn.byCredentialId(input.response.id);
      const row = cred ? store.accounts.get(cred.account_id) ?? null : null;
      if (!got) loginFail(ctx, row, "unknown_challenge", false);
      if (!cred || !row) loginFail(ctx, null, "unknown_credential", false);
      if (got.p.accountId !== null && got.p.accountId !== row.id) loginFail(ctx, row, "credential_not_for_user", false);
      if (row.account_type !== "human" || row.status !== "active") loginFail(ctx, row, `status_${row.status}`, false);
      const now = clock.now();
      if (isLocked(row, now)) {
        store.tx(() => audit.record(ctx, "login_locked", target(row), { method: "webauthn" }));
        throw new AppError("unauthorized", LOGIN_FAILED);
      }
      const handle = input.response.response.userHandle;
      if (handle !== undefined && handle !== "" && Buffer.from(handle, "base64url").toString("utf8") !== row.id) {
        loginFail(ctx, row, "user_handle_mismatch", true);
      }
      const { verifyAuthenticationResponse } = await lib();
      let result;
      try {
        result = await verifyAuthenticationResponse({
          response: input.response, expectedChallenge: got.challenge, expectedOrigin: rp.origins, expectedRPID: rp.rpId,
          credential: { id: cred.credential_id, publicKey: new Uint8Array(cred.public_key), counter: cred.sign_count, transports: JSON.parse(cred.transports) as string[] },
          requireUserVerification: false,
        });
      } catch (e) {
        // The library refuses a counter that did not grow: a cloned authenticator.
        const regression = /counter value/i.test((e as Error)?.message ?? "");
        loginFail(ctx, row, regression ? "counter_regression" : "bad_assertion", true);
      }
      if (!result.verified) loginFail(ctx, row, "bad_assertion", true);
      const uv = result.authenticationInfo.userVerified;
      if (!uv) {
        // Possession alone (a security key without PIN): the password must come too.
        if (input.password === undefined || input.password === "") loginFail(ctx, row, "password_required", false);
        const ok = row.password_hash !== null && (await verifyPassword(input.password, row.password_hash));
        if (!ok) loginFail(ctx, row, "bad_password", true);
      }
      const minted = await tokens.mint(row, { audience: input.audience });
      const actor: Ctx = { ...ctx, principal: { id: row.id, username: row.username, account_type: row.account_type, status: row.status, roles: [], tags: [] } };
      const refused = store.tx(() => {
        const fresh = store.accounts.get(row.id);
        if (!fresh || fresh.status !== "active" || isLocked(fresh, clock.now())) return "changed_during_login";
        // Compare-and-set on the counter: two logins racing with one assertion cannot both win.
        if (!store.webauthn.recordUse(cred.id, cred.sign_count, result.authenticationInfo.newCounter, iso(clock.now()))) return "counter_race";
        store.accounts.setLockoutState(row.id, CLEARED);
        minted.persist();
        audit.record(actor, "login_ok", target(row), { method: "webauthn", credential: cred.id, user_verified: uv, jti: minted.issued.jti });
        return null;
      });
      if (refused) loginFail(ctx, row, refused, false);
      return minted.issued;
    },

    /** The origin check the login page uses to decide whether to offer passkeys at all. */
    originAllowed(origin: string): boolean {
      return rp.origins.includes(origin);
    },
    /** The configured origins (for a hint when the console is opened elsewhere). */
    origins: (): string[] => [...rp.origins],
  };
}

export type WebauthnService = ReturnType<typeof createWebauthnService>;
