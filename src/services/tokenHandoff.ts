/**
 * One-time download of a freshly issued service token (issue 13, as the original
 * system's console did): the console offers `GET /token/download/{nonce}` beside the
 * copy button, so a token never has to be copied off the screen.
 *
 * The nonce (256 random bits) and the token are held in this process's memory only,
 * for 5 minutes, for the principal who issued the token; the first download removes
 * them. A second download, an expired nonce or someone else's nonce is the same 404.
 * Each download is audited `token_downloaded` (the jti, never the token).
 */
import { AppError } from "../errors";
import { randomBytes } from "../crypto/random";
import type { AuditService } from "./audit";
import type { ServiceDeps } from "./deps";
import type { Ctx } from "./principal";
import type { IssuedToken } from "./tokens";

export const HANDOFF_TTL_MS = 5 * 60_000;
/** At most this many undownloaded tokens are held; the oldest goes first. */
const MAX_HELD = 1000;

interface Held { token: string; jti: string; account: { id: string; username: string }; principalId: string; expiresAt: number }

export function createTokenHandoff(deps: ServiceDeps, audit: AuditService) {
  const held = new Map<string, Held>();
  const now = () => deps.clock.now();

  function sweep(): void {
    const t = now();
    for (const [k, v] of held) if (v.expiresAt <= t) held.delete(k);
    while (held.size >= MAX_HELD) held.delete(held.keys().next().value!);
  }

  return {
    /** Holds `issued` for one download by the caller; returns the nonce and when it lapses. */
    offer(ctx: Ctx, issued: IssuedToken, account: { id: string; username: string }): { nonce: string; expires_at: string } {
      if (!ctx.principal) throw new AppError("unauthorized", "not signed in");
      sweep();
      const nonce = randomBytes(32).toString("base64url");
      const expiresAt = now() + HANDOFF_TTL_MS;
      held.set(nonce, { token: issued.token, jti: issued.jti, account, principalId: ctx.principal.id, expiresAt });
      return { nonce, expires_at: new Date(expiresAt).toISOString() };
    },

    /** The held token, once; then it is gone. */
    take(ctx: Ctx, nonce: string): { token: string; filename: string } {
      const h = held.get(nonce);
      const gone = new AppError("not_found", "this download link was already used or has expired; issue a new token");
      if (!h || !ctx.principal || h.principalId !== ctx.principal.id) throw gone;
      held.delete(nonce);
      if (h.expiresAt <= now()) throw gone;
      deps.store.tx(() => audit.record(ctx, "token_downloaded", h.account, { jti: h.jti }));
      return { token: h.token, filename: `${h.account.username}.token` };
    },
  };
}

export type TokenHandoff = ReturnType<typeof createTokenHandoff>;
