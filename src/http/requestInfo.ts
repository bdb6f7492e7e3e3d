/** The client IP the server wrapper resolved for each request (see server.ts). */
const clientIps = new WeakMap<Request, string | null>();

export function setClientIp(req: Request, ip: string | null): void {
  clientIps.set(req, ip);
}

export function clientIpOf(req: Request): string | null {
  return clientIps.get(req) ?? null;
}

/** Whether the socket peer is a trusted proxy (its X-Forwarded-* headers may be believed). */
const proxied = new WeakSet<Request>();

export function setViaTrustedProxy(req: Request): void {
  proxied.add(req);
}

export function viaTrustedProxy(req: Request): boolean {
  return proxied.has(req);
}
