/**
 * Per-key token buckets (per client IP). Memory is bounded: the map is capped and
 * full buckets are dropped on sweep, since a full bucket is the same as no bucket.
 */
import type { Bucket } from "../config/schema";

export interface Limiter {
  /** Takes one token; returns 0 when allowed, else seconds until a token is available. */
  take(key: string): number;
}

const MAX_KEYS = 100_000;

export function createLimiter(b: Bucket, now: () => number = () => Date.now()): Limiter {
  const buckets = new Map<string, { tokens: number; at: number }>();

  function sweep(t: number): void {
    for (const [k, v] of buckets) {
      if (v.tokens + ((t - v.at) / 1000) * b.rate >= b.burst) buckets.delete(k);
    }
    // Still full of live buckets: drop the oldest rather than grow without bound.
    if (buckets.size >= MAX_KEYS) {
      const drop = buckets.size - MAX_KEYS + 1;
      let i = 0;
      for (const k of buckets.keys()) { if (i++ >= drop) break; buckets.delete(k); }
    }
  }

  return {
    take(key: string): number {
      const t = now();
      let s = buckets.get(key);
      if (!s) {
        if (buckets.size >= MAX_KEYS) sweep(t);
        s = { tokens: b.burst, at: t };
        buckets.set(key, s);
      } else {
        s.tokens = Math.min(b.burst, s.tokens + ((t - s.at) / 1000) * b.rate);
        s.at = t;
      }
      if (s.tokens >= 1) {
        s.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - s.tokens) / b.rate));
    },
  };
}
