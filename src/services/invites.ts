/**
 * Invite and reset links (SPEC §15). An admin (or whoever policy allows
 * `accounts:invite`) makes a single-use link for a human account; the friend opens it,
 * chooses a password and is signed in. For an account that already has a password it
 * is a reset link. Only a SHA-256 of the link's 32 random bytes is stored; a new link
 * revokes the previous one; unknown, used, revoked and expired links all answer the
 * same 404; a failed acceptance writes nothing (no audit row either: the token is
 * unguessable, and rate limits bound the guessing).
 */
import { AppError } from "../errors";
import { hashPassword, passwordProblem } from "../crypto/password";
import { INVITE_TOKEN_RE, newInviteToken, sha256Hex } from "../crypto/oneTimeSecrets";
import type { AccountRow } from "../store/accounts";
import type { AuditService } from "./audit";
import type { Authz } from "./authz";
import { iso, type Ctx, type ServiceDeps } from "./context";
import { CLEARED } from "./lockout";
import type { IssuedToken, TokenService } from "./tokens";

export interface InviteLink { url: string; expires_at: string }
/** What the invite page may show before the password is chosen. */
export interface InviteInfo { username: string; display_name: string | null; reset: boolean; expires_at: string }

const NOT_FOUND = "invite link is unknown, used or expired";

export function createInviteService(deps: ServiceDeps, audit: AuditService, authz: Authz, tokens: TokenService) {
  const { store, config, clock } = deps;
  const target = (r: AccountRow) => ({ id: r.id, username: r.username });

  /** The public link: tokens.issuer is MCIAS's public URL. */
  function linkFor(token: string): string {
    return `${config.tokens.issuer.replace(/\/+$/, "")}/invite/${token}`;
  }

  /** The live invite and its account, or the one 404. Reads only. */
  function live(token: string): { hash: string; row: AccountRow; expires_at: string } {
    if (!INVITE_TOKEN_RE.test(token)) throw new AppError("not_found", NOT_FOUND);
    const hash = sha256Hex(token);
    const inv = store.invites.get(hash);
    const now = clock.now();
    if (!inv || inv.used_at !== null || inv.revoked_at !== null || Date.parse(inv.expires_at) <= now) throw new AppError("not_found", NOT_FOUND);
    const row = store.accounts.get(inv.account_id);
    if (!row || row.status !== "active" || row.account_type !== "human") throw new AppError("not_found", NOT_FOUND);
    return { hash, row, expires_at: inv.expires_at };
  }

  return {
    linkFor,

    /** POST /v1/accounts/{id}/invite → 201 {url, expires_at}; revokes the account's previous link. */
    create(ctx: Ctx, accountId: string): InviteLink & { reset: boolean } {
      const row = store.accounts.get(accountId);
      if (!row) throw new AppError("not_found", "account not found");
      authz.require(ctx, "accounts:invite", authz.accountResource(row));
      if (row.account_type !== "human") throw new AppError("bad_request", "only human accounts sign in with an invite link");
      if (row.status !== "active") throw new AppError("conflict", `account is ${row.status}; activate it first`);
      const token = newInviteToken();
      const nowMs = clock.now();
      const expires_at = iso(nowMs + config.accounts.inviteTtlMs);
      store.tx(() => {
        const t = iso(nowMs);
        const revoked = store.invites.revokeLive(row.id, t);
        store.invites.insert({ token_hash: sha256Hex(token), account_id: row.id, created_at: t, expires_at, created_by: ctx.actorName ?? ctx.principal?.username ?? null });
        audit.record(ctx, "invite_created", target(row), { reset: row.password_hash !== null, expires_at, previous_revoked: revoked });
      });
      return { url: linkFor(token), expires_at, reset: row.password_hash !== null };
    },

    /** For the invite page: who the link is for, or the one 404. */
    info(token: string): InviteInfo {
      const { row, expires_at } = live(token);
      return { username: row.username, display_name: row.display_name, reset: row.password_hash !== null, expires_at };
    },

    /**
     * POST /v1/invites/{token}/accept {password} → a session token. Sets the password,
     * clears lockout, revokes the account's other tokens (a reset link ends every old
     * session), uses up the link — all in one transaction, or nothing at all.
     */
    async accept(ctx: Ctx, token: string, password: string, opts: { audience?: string } = {}): Promise<IssuedToken> {
      const first = live(token);
      tokens.checkAudience(opts.audience);
      const problem = passwordProblem(password, first.row.username);
      if (problem) throw new AppError("bad_request", problem);
      const hash = await hashPassword(password, config.argon2);
      const minted = await tokens.mint(first.row, { audience: opts.audience });
      store.tx(() => {
        // Everything again under the write lock: a concurrent accept, a newer link or a
        // deactivation since the first look means this one fails (and the tx rolls back).
        const again = live(token);
        if (again.row.id !== first.row.id) throw new AppError("not_found", NOT_FOUND);
        const t = iso(clock.now());
        if (!store.invites.consume(again.hash, t)) throw new AppError("not_found", NOT_FOUND);
        const reset = again.row.password_hash !== null;
        store.accounts.setPasswordHash(again.row.id, hash, t);
        store.accounts.setLockoutState(again.row.id, CLEARED);
        const revoked = store.tokens.revokeAllFor(again.row.id, t, reset ? "password_reset" : "invite_accepted");
        minted.persist();
        const actor: Ctx = { ...ctx, principal: { id: again.row.id, username: again.row.username, account_type: again.row.account_type, status: again.row.status, roles: [], tags: [] } };
        audit.record(actor, "invite_accepted", target(again.row), { reset, tokens_revoked: revoked.length, jti: minted.issued.jti });
        audit.record(actor, "login_ok", target(again.row), { method: "invite", jti: minted.issued.jti });
      });
      return minted.issued;
    },
  };
}

export type InviteService = ReturnType<typeof createInviteService>;
