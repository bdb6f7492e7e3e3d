/**
 * Fetch <-> node req/res, so oidc-provider (a Koa app) answers on Bun.serve's port.
 * The request is rebuilt with the headers the provider is allowed to trust: the
 * client IP the server resolved, https (TLS ended in Bun.serve), and no client-sent
 * X-Forwarded-* (which would let a caller choose the URLs the provider prints).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { toFetchResponse, toReqRes } from "fetch-to-node";
import { CLIENT_IP_HEADER, VIA_TRUSTED_PROXY_HEADER } from "../http/requestInfo";

export interface NodePair { req: IncomingMessage; res: ServerResponse }

export function toNode(request: Request, ip: string | null): NodePair {
  const headers = new Headers(request.headers);
  for (const h of ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "forwarded", "x-original-url", CLIENT_IP_HEADER, VIA_TRUSTED_PROXY_HEADER]) headers.delete(h);
  headers.set("x-forwarded-proto", "https");
  if (ip) headers.set("x-forwarded-for", ip);
  const init: RequestInit = { method: request.method, headers };
  if (request.method !== "GET" && request.method !== "HEAD") init.body = request.body;
  const { req, res } = toReqRes(new Request(request.url, init));
  // fetch-to-node has no socket; Koa and the cookie code read these two fields.
  Object.defineProperty(req, "socket", { value: { encrypted: true, remoteAddress: ip ?? undefined }, configurable: true });
  Object.defineProperty(req, "connection", { value: { encrypted: true, remoteAddress: ip ?? undefined }, configurable: true });
  return { req: req as unknown as IncomingMessage, res: res as unknown as ServerResponse };
}

export function toResponse(res: ServerResponse): Promise<Response> {
  return toFetchResponse(res as Parameters<typeof toFetchResponse>[0]);
}
