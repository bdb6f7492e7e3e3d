/**
 * MCIAS error codes → gRPC status codes (SPEC §13). The MCIAS code travels in the
 * `mcias-code` trailer; rate_limited also sends `retry-after` (seconds). Anything that
 * is not an AppError is INTERNAL with a bare message; details go to the log only.
 */
import { Metadata, status, type StatusObject } from "@grpc/grpc-js";
import { AppError, type ErrorCode } from "../errors";
import type { Logger } from "../log";

export const GRPC_STATUS: Record<ErrorCode, status> = {
  bad_request: status.INVALID_ARGUMENT,
  unauthorized: status.UNAUTHENTICATED,
  forbidden: status.PERMISSION_DENIED,
  not_found: status.NOT_FOUND,
  conflict: status.FAILED_PRECONDITION, // ALREADY_EXISTS when the error says duplicate
  payload_too_large: status.RESOURCE_EXHAUSTED,
  rate_limited: status.RESOURCE_EXHAUSTED,
  vault_sealed: status.UNAVAILABLE,
  internal: status.INTERNAL,
};

export function toStatus(e: unknown, log: Logger, method: string): Partial<StatusObject> & { code: status; details: string; metadata: Metadata } {
  const metadata = new Metadata();
  if (e instanceof AppError) {
    metadata.set("mcias-code", e.code);
    if (e.retryAfter !== undefined) metadata.set("retry-after", String(e.retryAfter));
    const code = e.code === "conflict" && e.duplicate ? status.ALREADY_EXISTS : GRPC_STATUS[e.code];
    return { code, details: e.message, metadata };
  }
  const err = e as Error;
  log.error("unhandled error", { method, error: err?.name ?? "Error", message: err?.message?.slice(0, 300) ?? String(e).slice(0, 300) });
  metadata.set("mcias-code", "internal");
  return { code: status.INTERNAL, details: "internal error", metadata };
}
