/**
 * The one place errors become responses: {"error","code"}. AppErrors show their safe
 * message; validation errors name the field (never its value, which may be a
 * password); anything unexpected is a bare 500 with details only in the log.
 */
import { AppError } from "../errors";
import { errorResponse } from "../http/errorResponse";
import type { Logger } from "../log";

interface ValidationLike { all?: { path?: string; summary?: string; message?: string }[] ; type?: string }

function validationMessage(err: unknown): string {
  const first = (err as ValidationLike).all?.[0];
  const path = first?.path && first.path !== "" ? first.path : "body";
  // TypeBox's `message` states the expectation only ("Expected string"); `summary` quotes
  // the received value ("but found: …"), which may be a password, so it is never used.
  const why = (first?.message ?? "invalid value").replace(/\s+/g, " ").slice(0, 120);
  return `invalid ${path}: ${why}`;
}

export function mapError(code: string | number, error: unknown, log: Logger, path: string): Response {
  if (error instanceof AppError) return errorResponse(error.code, error.message, error.retryAfter);
  switch (code) {
    case "VALIDATION":
      return errorResponse("bad_request", validationMessage(error));
    case "PARSE":
      return errorResponse("bad_request", "malformed JSON body");
    case "NOT_FOUND":
      return errorResponse("not_found", "no such route");
    case "INVALID_COOKIE_SIGNATURE":
      return errorResponse("bad_request", "invalid cookie");
  }
  const e = error as Error;
  log.error("unhandled error", { path, error: e?.name ?? "Error", message: e?.message?.slice(0, 300) ?? String(error).slice(0, 300) });
  return errorResponse("internal", "internal error");
}
