/**
 * Bearer authentication as a named plugin (Elysia's recommended shape). `auth: true`
 * on a route resolves `ctx` with the caller loaded from the database, or answers 401.
 * Authentication runs in `transform`, before body validation, so an unauthenticated
 * caller learns nothing about a route's schema. Every route also gets `anon`.
 */
import { Elysia } from "elysia";
import { AppError } from "../../errors";
import type { Ctx, Services } from "../../services";
import { clientIpOf } from "../../http/requestInfo";

/** "Bearer <jwt>", scheme case-insensitive; anything else is 401. */
export function bearerToken(header: string | undefined | null): string {
  const m = header ? /^bearer +([A-Za-z0-9_\-.=]+) *$/i.exec(header) : null;
  if (!m) throw new AppError("unauthorized", "missing or malformed Authorization header");
  return m[1]!;
}

const authenticated = new WeakMap<Request, Ctx>();

export const authPlugin = (s: Services) =>
  new Elysia({ name: "mcias-auth", seed: s.id })
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
