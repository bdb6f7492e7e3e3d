/**
 * Per-key token buckets in shared memory, so every serving thread draws from the same
 * bucket (a burst of N is N across all workers, not N per worker).
 *
 * Layout: a fixed table of slots (SLOTS, 2 MiB, by default) of 32 bytes each:
 *   Int32 [0] lock word (0 free, 1 held; Atomics.compareExchange)
 *   Uint32[1] FNV-1a hash of the key, [2] a second FNV-1a hash (other offset basis):
 *             64 bits together, so two live IPs practically never share a bucket
 *   Float64[2] tokens, Float64[3] last touch (ms; 0 = empty slot)
 * A key lives in one of PROBE slots from hash1 (open addressing). With no match, the
 * key takes an empty slot in that window, else a slot whose bucket has refilled (same as
 * no bucket), else the least recently touched one.
 */
import type { Bucket } from "../config/schema";
import type { Limiter } from "../http/rateLimit";

export const SLOTS = 1 << 16;
const SLOT_BYTES = 32;
const PROBE = 8;

/** `slots` must be a power of two (tests use small tables). */
export function createLimiterMemory(slots = SLOTS): SharedArrayBuffer {
  if (slots < PROBE || (slots & (slots - 1)) !== 0) throw new Error("slots must be a power of two >= 8");
  return new SharedArrayBuffer(slots * SLOT_BYTES);
}

function fnv1a(key: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function createSharedLimiter(b: Bucket, mem: SharedArrayBuffer, now: () => number = () => Date.now()): Limiter {
  const i32 = new Int32Array(mem);
  const u32 = new Uint32Array(mem);
  const f64 = new Float64Array(mem);
  const mask = mem.byteLength / SLOT_BYTES - 1;

  const lock = (s: number) => {
    while (Atomics.compareExchange(i32, s * 8, 0, 1) !== 0) { /* spin: the critical section is a few loads */ }
  };
  const unlock = (s: number) => { Atomics.store(i32, s * 8, 0); };
  const matches = (s: number, h1: number, h2: number) => f64[s * 4 + 3]! !== 0 && u32[s * 8 + 1] === h1 && u32[s * 8 + 2] === h2;

  /** Takes a token from the (locked) slot `s`; returns the wait in seconds. */
  function take(s: number, t: number, fresh: boolean): number {
    let tokens = fresh ? b.burst : Math.min(b.burst, f64[s * 4 + 2]! + ((t - f64[s * 4 + 3]!) / 1000) * b.rate);
    f64[s * 4 + 3] = t > 0 ? t : 1;
    if (tokens >= 1) {
      f64[s * 4 + 2] = tokens - 1;
      return 0;
    }
    f64[s * 4 + 2] = tokens;
    return Math.max(1, Math.ceil((1 - tokens) / b.rate));
  }

  return {
    take(key: string): number {
      const h1 = fnv1a(key, 0x811c9dc5);
      const h2 = fnv1a(key, 0x050c5d1f);
      for (let attempt = 0; ; attempt++) {
        const t = now();
        let victim = -1;
        let victimScore = Infinity;
        for (let p = 0; p < PROBE; p++) {
          const s = (h1 + p) & mask;
          lock(s);
          if (matches(s, h1, h2)) {
            const wait = take(s, t, false);
            unlock(s);
            return wait;
          }
          const at = f64[s * 4 + 3]!;
          // Empty (0) scores lowest; a refilled bucket next; else the oldest touch.
          const full = at !== 0 && f64[s * 4 + 2]! + ((t - at) / 1000) * b.rate >= b.burst;
          const score = at === 0 ? -2 : full ? -1 : at;
          if (score < victimScore) { victimScore = score; victim = s; }
          unlock(s);
        }
        lock(victim);
        // Someone may have claimed it meanwhile (possibly for this very key): re-check.
        if (matches(victim, h1, h2)) {
          const wait = take(victim, t, false);
          unlock(victim);
          return wait;
        }
        const at = f64[victim * 4 + 3]!;
        const full = at !== 0 && f64[victim * 4 + 2]! + ((t - at) / 1000) * b.rate >= b.burst;
        const stillVictim = at === 0 ? victimScore === -2 : full ? victimScore <= -1 : at === victimScore;
        if (stillVictim || attempt >= 3) {
          u32[victim * 8 + 1] = h1;
          u32[victim * 8 + 2] = h2;
          const wait = take(victim, t, true);
          unlock(victim);
          return wait;
        }
        unlock(victim);
      }
    },
  };
}
