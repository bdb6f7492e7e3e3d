/**
 * The bearer credential of an Authorization header, shared by every face that takes
 * one (REST, gRPC metadata, forward-auth). "Bearer <jwt>", scheme case-insensitive;
 * anything else is 401.
 */
import { AppError } from "../errors";

export function bearerToken(header: string | undefined | null): string {
  const t = bearerTokenOrNull(header);
  if (t === null) throw new AppError("unauthorized", "missing or malformed Authorization header");
  return t;
}

/** The same parse for callers with another credential to fall back on (forward-auth's cookie). */
export function bearerTokenOrNull(header: string | undefined | null): string | null {
  const m = header ? /^bearer +([A-Za-z0-9_\-.=]+) *$/i.exec(header) : null;
  return m ? m[1]! : null;
}
