/**
 * Bearer authentication as a named plugin (Elysia's recommended shape). `auth: true`
 * on a route resolves `ctx` with the caller loaded from the database, or answers 401.
 * Authentication runs in `transform`, before body validation, so an unauthenticated
 * caller learns nothing about a route's schema. Every route also gets `anon`.
 */
import { Elysia } from "elysia";
import { AppError } from "../../errors";
import type { Ctx, Services } from "../../services";
import { bearerToken } from "../../http/bearer";
import { clientIpOf } from "../../http/requestInfo";

export const authPlugin = (s: Services) => {
  // Carries the caller from `transform` to `resolve` of the same request; one per app.
  const authenticated = new WeakMap<Request, Ctx>();
  return new Elysia({ name: "mcias-auth", seed: s.id })
    .derive({ as: "scoped" }, ({ request }) => ({ anon: { ip: clientIpOf(request), principal: null } as Ctx }))
    .macro({
      auth: {
        async transform({ request }) {
          const principal = await s.tokens.authenticate(bearerToken(request.headers.get("authorization")));
          authenticated.set(request, { ip: clientIpOf(request), principal });
        },
        resolve({ request }) {
          const ctx = authenticated.get(request);
          if (!ctx) throw new AppError("unauthorized");
          return { ctx };
        },
      },
    });
};
