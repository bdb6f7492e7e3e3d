/**
 * One-time download of a freshly issued service token (issue 13, as the original
 * system's console did): the console offers `GET /token/download/{nonce}` beside the
 * copy button, so a token never has to be copied off the screen.
 *
 * The nonce (256 random bits) and the token are held for 5 minutes, for the principal
 * who issued the token; the first download removes them. A second download, an expired
 * nonce or someone else's nonce is the same 404. Each download is audited
 * `token_downloaded` (the jti, never the token).
 *
 * Held in the database (migration 0005), not in memory: with `[server] workers` > 1 the
 * download may reach another thread than the one that issued the token. The row is
 * keyed by SHA-256 of the nonce (the nonce itself is only in the issuer's page) and the
 * token is sealed with AES-256-GCM under the master key, bound to its row and issuer, so
 * the database file alone never yields a usable token. Taking the row deletes it in the
 * same statement (DELETE … RETURNING): two downloads racing on two threads get it once.
 */
import { AppError } from "../errors";
import { openString, sealString } from "../crypto/aead";
import { sha256Hex } from "../crypto/oneTimeSecrets";
import { randomBytes } from "../crypto/random";
import type { AuditService } from "./audit";
import type { ServiceDeps } from "./deps";
import type { Ctx } from "./principal";
import type { IssuedToken } from "./tokens";

export const HANDOFF_TTL_MS = 5 * 60_000;
/** At most this many undownloaded tokens are held; the ones closest to expiry go first. */
const MAX_HELD = 1000;
/** The pending_entries kind of a held token. */
export const HANDOFF_KIND = "token_handoff";
const NONCE_RE = /^[A-Za-z0-9_-]{43}$/;

/** What the sealed payload holds besides the token (the audit row's target and the jti). */
interface Held { token: string; jti: string; account: { id: string; username: string } }

/** Binds a sealed handoff to its row and its issuer: a blob copied to another row fails to open. */
export const handoffAad = (keyHash: string, principalId: string) => `token-handoff:${keyHash}:${principalId}`;

export function createTokenHandoff(deps: ServiceDeps, audit: AuditService) {
  const { store, vault, clock } = deps;

  return {
    /** Holds `issued` for one download by the caller; returns the nonce and when it lapses. */
    offer(ctx: Ctx, issued: IssuedToken, account: { id: string; username: string }): { nonce: string; expires_at: string } {
      if (!ctx.principal) throw new AppError("unauthorized", "not signed in");
      const principalId = ctx.principal.id;
      const nonce = randomBytes(32).toString("base64url");
      const keyHash = sha256Hex(nonce);
      const now = clock.now();
      const expiresAt = now + HANDOFF_TTL_MS;
      const held: Held = { token: issued.token, jti: issued.jti, account: { id: account.id, username: account.username } };
      const payload = sealString(vault.masterKey(), JSON.stringify(held), handoffAad(keyHash, principalId));
      store.tx(() => store.pending.put({ kind: HANDOFF_KIND, key_hash: keyHash, account_id: principalId, payload, created_at: now, expires_at: expiresAt }, MAX_HELD));
      return { nonce, expires_at: new Date(expiresAt).toISOString() };
    },

    /** The held token, once; then it is gone. */
    take(ctx: Ctx, nonce: string): { token: string; filename: string } {
      const gone = new AppError("not_found", "this download link was already used or has expired; issue a new token");
      if (!ctx.principal || !NONCE_RE.test(nonce)) throw gone;
      // Sealed: say so before the row is used up (it stays for a download after unseal).
      const key = vault.masterKey();
      const keyHash = sha256Hex(nonce);
      const principalId = ctx.principal.id;
      // One transaction: the row goes (someone else's nonce is not taken: it stays for its
      // issuer) and the download is audited, or neither happens.
      const h = store.tx((): Held | null => {
        const row = store.pending.takeFor(HANDOFF_KIND, keyHash, principalId);
        if (!row || row.expires_at <= clock.now()) return null;
        let held: Held;
        try {
          held = JSON.parse(openString(key, row.payload, handoffAad(keyHash, principalId))) as Held;
        } catch {
          // Sealed under another master key or altered: unusable, and gone now.
          return null;
        }
        audit.record(ctx, "token_downloaded", held.account, { jti: held.jti });
        return held;
      });
      if (!h) throw gone;
      return { token: h.token, filename: `${h.account.username}.token` };
    },
  };
}

export type TokenHandoff = ReturnType<typeof createTokenHandoff>;
