/**
 * Per-IP rate limits as a route declaration (`rateLimit: "login"`), applied here once
 * for the whole REST API; the buckets are src/http/limiters.ts, shared with the console
 * (`opts.rateLimit` on its routes) and gRPC (`limiter` on its RPC rules). It runs
 * after validation, before the handler: what it meters is the work a service does.
 */
import { Elysia } from "elysia";
import type { LimiterName, Limiters } from "../../http/limiters";
import { clientIpOf } from "../../http/requestInfo";

export const rateLimitPlugin = (limiters: Limiters, seed: string) =>
  new Elysia({ name: "mcias-rate-limit", seed })
    .macro({
      rateLimit: (name: LimiterName) => ({
        beforeHandle({ request }) {
          limiters.check(name, clientIpOf(request));
        },
      }),
    });
