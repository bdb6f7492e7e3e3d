/** The client IP the server wrapper resolved for each request (see server.ts). */
const clientIps = new WeakMap<Request, string | null>();

export function setClientIp(req: Request, ip: string | null): void {
  clientIps.set(req, ip);
}

export function clientIpOf(req: Request): string | null {
  return clientIps.get(req) ?? null;
}
