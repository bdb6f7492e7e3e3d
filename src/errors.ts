/**
 * The one error type of MCIAS. Services throw it; the API and UI map it to a
 * response in one place. `message` is safe to show a client: it never carries a
 * secret, SQL or a stack. Anything that is not an AppError becomes a bare 500.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  vault_sealed: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
/** Every code a response may carry (the REST schemas and the gRPC mapping are built from it). */
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds, for rate_limited. */
  readonly retryAfter?: number;

  constructor(code: ErrorCode, message?: string, opts?: { retryAfter?: number }) {
    super(message ?? defaultMessage(code));
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryAfter = opts?.retryAfter;
  }
}

function defaultMessage(code: ErrorCode): string {
  switch (code) {
    case "bad_request": return "bad request";
    case "unauthorized": return "authentication required";
    case "forbidden": return "forbidden";
    case "not_found": return "not found";
    case "conflict": return "conflict";
    case "payload_too_large": return "request body too large";
    case "rate_limited": return "too many requests";
    case "vault_sealed": return "vault is sealed";
    case "internal": return "internal error";
  }
}

/** Guard in the style of logto's assertThat: throws an AppError when `cond` is falsy. */
export function assertThat(cond: unknown, code: ErrorCode, message?: string): asserts cond {
  if (!cond) throw new AppError(code, message);
}
