/**
 * The client IP travels on the request itself, in one named header slot that the
 * app's single entry point (`App.handle(req, { ip })`, src/app.ts) always overwrites:
 * whatever a client sends in that header is dropped, so only the listener's
 * resolution (src/http/clientIp.ts) — or a test's explicit value — is ever read.
 */
export const CLIENT_IP_HEADER = "x-mcias-client-ip";

/** A copy of `req` carrying `ip` (null: none) and no client-supplied value. */
export function withClientIp(req: Request, ip: string | null): Request {
  const headers = new Headers(req.headers);
  headers.delete(CLIENT_IP_HEADER);
  if (ip) headers.set(CLIENT_IP_HEADER, ip);
  return new Request(req, { headers });
}

export function clientIpOf(req: Request): string | null {
  return req.headers.get(CLIENT_IP_HEADER);
}
