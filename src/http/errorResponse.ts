/**
 * The uniform error response {"error","code"} (SPEC §3), shared by the server wrapper,
 * the REST API and the console's API-prefix 404s.
 */
import { ERROR_STATUS, type ErrorCode } from "../errors";

export function errorResponse(code: ErrorCode, message: string, retryAfter?: number): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
  return new Response(JSON.stringify({ error: message, code }), { status: ERROR_STATUS[code], headers });
}
