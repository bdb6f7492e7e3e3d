/**
 * Verified-token cache: remembers only the result of the expensive, stateless part of
 * token validation (header rules + Ed25519 signature + claim checks), keyed by the
 * signing key id and the exact token string. It never answers "valid" by itself: the
 * caller still checks, on every request, that the token row exists and is not revoked
 * and that the account is active (cheap SQLite point lookups that also see changes
 * made by `mcias db` in another process). So revocation is never cached.
 *
 * Bounded: at most `maxEntries` tokens and `maxBytes` of token text (LRU eviction);
 * an entry is dropped once its token's `exp` has passed.
 */
import type { TokenClaims } from "../crypto/jwt";

export interface VerifiedTokenCacheOptions {
  maxEntries?: number;
  maxBytes?: number;
}

interface Entry { claims: TokenClaims; expMs: number; size: number }

export function createVerifiedTokenCache(opts: VerifiedTokenCacheOptions = {}) {
  const maxEntries = opts.maxEntries ?? 10_000;
  const maxBytes = opts.maxBytes ?? 8 * 1024 * 1024;
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the LRU one.
  const map = new Map<string, Entry>();
  let bytes = 0;

  const keyOf = (kid: string, token: string) => `${kid}\n${token}`;

  function drop(key: string, e: Entry): void {
    map.delete(key);
    bytes -= e.size;
  }

  return {
    /** The verified claims of `token` under key `kid`, or null (miss or expired). */
    get(kid: string, token: string, nowMs: number): TokenClaims | null {
      const key = keyOf(kid, token);
      const e = map.get(key);
      if (!e) return null;
      if (e.expMs <= nowMs) {
        drop(key, e);
        return null;
      }
      map.delete(key);
      map.set(key, e);
      return e.claims;
    },

    /** Records a token whose header, signature and claims were just verified. */
    set(kid: string, token: string, claims: TokenClaims): void {
      const key = keyOf(kid, token);
      const size = key.length * 2 + 256;
      if (size > maxBytes) return;
      const old = map.get(key);
      if (old) drop(key, old);
      map.set(key, { claims, expMs: claims.exp * 1000, size });
      bytes += size;
      for (const [k, e] of map) {
        if (map.size <= maxEntries && bytes <= maxBytes) break;
        drop(k, e);
      }
    },

    clear(): void {
      map.clear();
      bytes = 0;
    },

    stats(): { entries: number; bytes: number; maxEntries: number; maxBytes: number } {
      return { entries: map.size, bytes, maxEntries, maxBytes };
    },
  };
}

export type VerifiedTokenCache = ReturnType<typeof createVerifiedTokenCache>;
