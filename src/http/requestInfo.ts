/**
 * What the listener learned about a request's connection travels on the request
 * itself, in named header slots that the app's single entry point
 * (`App.handle(req, info)`, src/app.ts) always overwrites: whatever a client sends in
 * those headers is dropped, so only the listener's resolution (src/http/clientIp.ts)
 * — or a test's explicit value — is ever read. No module-level state.
 */
export const CLIENT_IP_HEADER = "x-mcias-client-ip";
export const VIA_TRUSTED_PROXY_HEADER = "x-mcias-via-trusted-proxy";

export interface RequestInfo {
  /** The client IP (socket peer, or the right-most untrusted X-Forwarded-For hop). */
  ip: string | null;
  /** The socket peer is in server.trusted_proxies: its X-Forwarded-* headers may be believed. */
  viaTrustedProxy?: boolean;
  /** The URL's path, when the caller has already computed it (src/http/path.ts). */
  path?: string;
}

/**
 * `req` carrying `info` and no client-supplied value in its slots. Edited in place: the
 * entry point owns the request, and a copy (`new Request(req, …)`) re-wraps the body
 * stream — ~15% of a token validation's CPU in the issue 23 profile.
 */
export function withRequestInfo(req: Request, info: RequestInfo): Request {
  const h = req.headers;
  h.delete(CLIENT_IP_HEADER);
  h.delete(VIA_TRUSTED_PROXY_HEADER);
  if (info.ip) h.set(CLIENT_IP_HEADER, info.ip);
  if (info.viaTrustedProxy) h.set(VIA_TRUSTED_PROXY_HEADER, "1");
  return req;
}

export function clientIpOf(req: Request): string | null {
  return req.headers.get(CLIENT_IP_HEADER);
}

export function viaTrustedProxy(req: Request): boolean {
  return req.headers.get(VIA_TRUSTED_PROXY_HEADER) === "1";
}
