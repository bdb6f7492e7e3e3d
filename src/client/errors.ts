/**
 * Typed errors of the MCIAS client. Every failed call throws one of these; each
 * carries the HTTP status and the server's `code`. Messages are built only from the
 * method, path and the server's own (secret-free) message: never from a request body,
 * header or token.
 */
import type { ErrorBody, ErrorCode } from "./types";

/** Base class of every error the client throws. */
export class McIasError extends Error {
  /** HTTP status, or 0 when no response arrived. */
  readonly status: number;
  /** The server's error code, or `transport` when no usable response arrived. */
  readonly code: ErrorCode | "transport";
  constructor(status: number, code: ErrorCode | "transport", message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
  }
}

/** The server answered with an error status and `{"error","code"}`. */
export class ApiError extends McIasError {
  /** The server's human-readable message (never contains a secret). */
  readonly serverMessage: string;
  constructor(status: number, code: ErrorCode, serverMessage: string) {
    super(status, code, `${serverMessage} (${code}, HTTP ${status})`);
    this.serverMessage = serverMessage;
  }
}

/** 400 `bad_request`: malformed input, unknown field, bad id. */
export class BadRequestError extends ApiError {}
/** 401 `unauthorized`: no, bad, expired or revoked token; failed login. */
export class UnauthorizedError extends ApiError {}
/** 403 `forbidden`: the policy engine denied the call. */
export class ForbiddenError extends ApiError {}
/** 404 `not_found`. */
export class NotFoundError extends ApiError {}
/** 409 `conflict`, e.g. a username already taken. */
export class ConflictError extends ApiError {}
/** 413 `payload_too_large`: body over 64 KiB. */
export class PayloadTooLargeError extends ApiError {}
/** 429 `rate_limited`; `retryAfter` is the server's `Retry-After` in seconds, if sent. */
export class RateLimitedError extends ApiError {
  /** Seconds to wait before retrying, from `Retry-After`. */
  readonly retryAfter: number | undefined;
  constructor(status: number, code: ErrorCode, serverMessage: string, retryAfter: number | undefined) {
    super(status, code, serverMessage);
    this.retryAfter = retryAfter;
  }
}
/** 503 `vault_sealed`: the server is sealed; unseal it first. */
export class VaultSealedError extends ApiError {}
/** 500 `internal` (or any other 5xx). */
export class InternalServerError extends ApiError {}

/** No usable answer: connection refused, TLS failure, timeout, or a non-JSON reply. */
export class TransportError extends McIasError {
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(options?.status ?? 0, "transport", message, options);
  }
}

const KNOWN: ReadonlySet<string> = new Set([
  "bad_request", "unauthorized", "forbidden", "not_found", "conflict",
  "payload_too_large", "rate_limited", "vault_sealed", "internal",
]);

const BY_STATUS: Record<number, ErrorCode> = {
  400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
  413: "payload_too_large", 429: "rate_limited", 503: "vault_sealed", 500: "internal",
};

/** Builds the typed error for an error response (status ≥ 400). */
export function errorFromResponse(status: number, body: unknown, retryAfterHeader: string | null): ApiError {
  const b = (body && typeof body === "object" ? body : {}) as Partial<ErrorBody>;
  const code: ErrorCode = typeof b.code === "string" && KNOWN.has(b.code)
    ? b.code
    : BY_STATUS[status] ?? (status >= 500 ? "internal" : "bad_request");
  const msg = typeof b.error === "string" ? b.error.slice(0, 500) : `HTTP ${status}`;
  switch (code) {
    case "bad_request": return new BadRequestError(status, code, msg);
    case "unauthorized": return new UnauthorizedError(status, code, msg);
    case "forbidden": return new ForbiddenError(status, code, msg);
    case "not_found": return new NotFoundError(status, code, msg);
    case "conflict": return new ConflictError(status, code, msg);
    case "payload_too_large": return new PayloadTooLargeError(status, code, msg);
    case "rate_limited": {
      const n = retryAfterHeader === null ? NaN : Number(retryAfterHeader);
      return new RateLimitedError(status, code, msg, Number.isFinite(n) && n >= 0 ? n : undefined);
    }
    case "vault_sealed": return new VaultSealedError(status, code, msg);
    case "internal": return new InternalServerError(status, code, msg);
  }
}
