/** The per-IP limiters of SPEC §3, shared by the API and the UI login. */
import type { Config } from "../config/schema";
import { AppError } from "../errors";
import { createLimiter } from "./rateLimit";

export type LimiterName = "login" | "validate" | "unseal";

export function createLimiters(cfg: Config["rateLimit"], now?: () => number) {
  const l = {
    login: createLimiter(cfg.login, now),
    validate: createLimiter(cfg.validate, now),
    unseal: createLimiter(cfg.unseal, now),
  };
  return {
    /** Throws rate_limited (429 with Retry-After) when the IP's bucket is empty. */
    check(name: LimiterName, ip: string | null): void {
      const wait = l[name].take(ip ?? "unknown");
      if (wait > 0) throw new AppError("rate_limited", "too many requests; slow down", { retryAfter: wait });
    },
  };
}

export type Limiters = ReturnType<typeof createLimiters>;
