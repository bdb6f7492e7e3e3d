/**
 * Schemas shared by routes, the OpenAPI document and the client's types. Every
 * object schema is closed (additionalProperties: false): unknown fields are 400.
 */
import { t, type TSchema } from "elysia";
import { ERROR_CODES } from "../errors";
import { PASSWORD_MAX, PASSWORD_MIN, USERNAME_RE } from "../services/limits";

export const Closed = { additionalProperties: false } as const;

export const ErrorBody = t.Object({
  error: t.String({ description: "human-readable message" }),
  code: t.Union(ERROR_CODES.map((c) => t.Literal(c))),
}, { ...Closed, title: "Error" });

export const Uuid = t.String({ format: "uuid", maxLength: 36, description: "UUID" });
export const IdParams = t.Object({ id: Uuid }, Closed);
export const Time = t.String({ format: "date-time", description: "RFC 3339 UTC" });
export const Username = t.String({ minLength: 1, maxLength: 64, pattern: USERNAME_RE.source });
export const RoleName = Username;
export const Tag = t.String({ minLength: 1, maxLength: 193 });
export const Password = t.String({ minLength: 1, maxLength: 1024, description: `${PASSWORD_MIN}-${PASSWORD_MAX} characters, not the username` });

export const Account = t.Object({
  id: Uuid,
  username: t.String(),
  account_type: t.Union([t.Literal("human"), t.Literal("system")]),
  status: t.Union([t.Literal("active"), t.Literal("inactive"), t.Literal("deleted")]),
  roles: t.Array(t.String()),
  tags: t.Array(t.String()),
  totp_enabled: t.Boolean(),
  created_at: Time,
  updated_at: Time,
  email: t.Union([t.String(), t.Null()]),
  display_name: t.Union([t.String(), t.Null()]),
}, { ...Closed, title: "Account" });

export const TokenResponse = t.Object({ token: t.String(), expires_at: Time }, { ...Closed, title: "TokenResponse" });

/** Attaches the error responses a route can give, for the OpenAPI document. */
export function responses<S extends Record<number, TSchema>>(ok: S, ...codes: number[]) {
  const errs: Record<number, typeof ErrorBody> = {};
  for (const c of [400, 401, 403, 404, 409, 413, 429, 503, ...codes]) errs[c] = ErrorBody;
  return { ...errs, ...ok } as S & Record<number, TSchema>;
}
