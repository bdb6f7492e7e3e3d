/**
 * The bearer credential of an Authorization header, shared by every face that takes
 * one (REST, gRPC metadata, forward-auth). "Bearer <jwt>", scheme case-insensitive;
 * anything else is 401.
 */
import { AppError } from "../errors";

export function bearerToken(header: string | undefined | null): string {
  const m = header ? /^bearer +([A-Za-z0-9_\-.=]+) *$/i.exec(header) : null;
  if (!m) throw new AppError("unauthorized", "missing or malformed Authorization header");
  return m[1]!;
}
