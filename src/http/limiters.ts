/** The per-IP limiters of SPEC §3, shared by the API and the UI login. */
import type { Bucket, Config } from "../config/schema";
import { AppError } from "../errors";
import { createLimiter, type Limiter } from "./rateLimit";

export type LimiterName = "login" | "validate" | "unseal";

/**
 * The bucket a client IP draws from. An IPv6 host usually holds a whole /64 and can
 * rotate addresses inside it at will, so IPv6 clients share one bucket per /64;
 * IPv4 (and v4-mapped) addresses are their own bucket.
 */
export function bucketKey(ip: string | null): string {
  if (!ip) return "unknown";
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return v4[1]!;
  if (!ip.includes(":")) return ip;
  const [head = "", tail = ""] = ip.toLowerCase().split("::", 2);
  const h = head ? head.split(":") : [];
  const t = ip.includes("::") ? (tail ? tail.split(":") : []) : [];
  const groups = ip.includes("::") ? [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill("0"), ...t] : h;
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":") + "::/64";
}

/** Builds one limiter; the default keeps the buckets in this thread's memory. */
export type LimiterFactory = (name: LimiterName, b: Bucket, now?: () => number) => Limiter;

export function createLimiters(
  cfg: Config["rateLimit"], now?: () => number, onLimited?: (name: LimiterName) => void,
  make: LimiterFactory = (_name, b, n) => createLimiter(b, n),
) {
  const l = {
    login: make("login", cfg.login, now),
    validate: make("validate", cfg.validate, now),
    unseal: make("unseal", cfg.unseal, now),
  };
  return {
    /** Throws rate_limited (429 with Retry-After) when the IP's bucket is empty. */
    check(name: LimiterName, ip: string | null): void {
      const wait = l[name].take(bucketKey(ip));
      if (wait > 0) onLimited?.(name);
      if (wait > 0) throw new AppError("rate_limited", "too many requests; slow down", { retryAfter: wait });
    },
  };
}

export type Limiters = ReturnType<typeof createLimiters>;
