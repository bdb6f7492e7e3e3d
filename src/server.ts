/**
 * The HTTPS listener around the app: TLS (1.2 minimum, Bun's default), client IP
 * resolution, security headers on every response, and a request log line that holds
 * method, path, status, duration and IP — never headers, query strings or bodies.
 */
import type { Server } from "bun";
import { readFileSync } from "node:fs";
import { createProxyMatcher, resolveClientIp } from "./http/clientIp";
import { limitBody } from "./http/body";
import { errorResponse } from "./http/errorResponse";
import { redactPath } from "./http/redact";
import { pathOf } from "./http/path";
import { applySecurityHeaders } from "./http/securityHeaders";
import type { App } from "./app";
import { REQUEST_MSG } from "./log";
import type { Config } from "./config/schema";

export interface RunningServer {
  url: string;
  port: number;
  server: Server<undefined>;
  /** Re-reads the TLS certificate and key from disk (SIGHUP). */
  reloadTls(): void;
  /**
   * Stops accepting and lets in-flight requests finish for up to `graceMs`; then closes
   * whatever is still open (a stuck or idle client must not hold shutdown forever).
   * Resolves true when the deadline forced connections closed.
   */
  stop(graceMs?: number): Promise<boolean>;
}

function readTls(config: Config) {
  return { cert: readFileSync(config.server.tlsCert, "utf8"), key: readFileSync(config.server.tlsKey, "utf8") };
}

/**
 * `join`: a worker thread joining the port the main thread already holds (SO_REUSEPORT,
 * no exclusive probe; the kernel spreads new connections over the threads).
 */
export function startServer(app: App, config: Config, opts: { join?: boolean } = {}): RunningServer {
  const isTrusted = createProxyMatcher(config.server.trustedProxies);
  const log = app.log;
  const fetch = async (incoming: Request, srv: Server<undefined>): Promise<Response> => {
    const started = performance.now();
    const path = pathOf(incoming.url);
    const peer = srv.requestIP(incoming)?.address ?? null;
    const ip = resolveClientIp(peer, incoming.headers.get("x-forwarded-for"), isTrusted);
    let res: Response;
    try {
      const limited = limitBody(incoming);
      const req = limited instanceof Promise ? await limited : limited;
      if (req instanceof Response) res = req;
      else res = await app.handle(req, { ip, viaTrustedProxy: peer !== null && isTrusted(peer), path });
    } catch (e) {
      log.error("request failed", { path: redactPath(path), error: (e as Error)?.name ?? "Error" });
      res = errorResponse("internal", "internal error");
    }
    applySecurityHeaders(res, path);
    const ms = performance.now() - started;
    app.observe(app.routeOf(incoming.method, path), incoming.method, res.status, ms / 1000);
    log.info(REQUEST_MSG, {
      method: incoming.method, path: redactPath(path), status: res.status,
      ms: Math.round(ms * 10) / 10, ip,
    });
    return res;
  };
  const listen = (port: number, reusePort: boolean, tls: ReturnType<typeof readTls>) => Bun.serve({
    hostname: config.server.listenHost,
    port,
    reusePort,
    development: false,
    // Backstop only: limitBody (src/http/body.ts) enforces the 64 KiB limit with a JSON 413.
    maxRequestBodySize: 1024 * 1024,
    tls,
    fetch,
    error: () => errorResponse("internal", "internal error"),
  });
  // Bun's server.reload() keeps the old TLS context (checked on Bun 1.4.5), so a new
  // certificate needs a new listener. To swap without a moment of refused connections
  // the real listener uses SO_REUSEPORT; an exclusive probe bind first makes sure no
  // other process already holds the port (a second mcias fails instead of sharing it).
  const bind = (): Server<undefined> => {
    const probe = listen(config.server.listenPort, false, readTls(config));
    const p = probe.port!;
    probe.stop(true);
    return listen(p, true, readTls(config));
  };
  let server: Server<undefined>;
  try {
    server = opts.join ? listen(config.server.listenPort, true, readTls(config)) : bind();
  } catch (e) {
    if (opts.join) throw e;
    // Port 0: another process may take the probed ephemeral port in between; try once more.
    if (config.server.listenPort !== 0) throw e;
    server = bind();
  }
  const port = server.port!;
  const draining: Promise<void>[] = [];
  const retired: Server<undefined>[] = [];
  const host = config.server.listenHost.includes(":") ? `[${config.server.listenHost}]` : config.server.listenHost;
  return {
    url: `https://${host}:${port}`,
    port,
    get server() { return server; },
    reloadTls() {
      // Read (and so validate) both files before touching the listener: a bad file throws
      // here and the old certificate keeps serving.
      const next = listen(port, true, readTls(config));
      const old = server;
      server = next;
      retired.push(old);
      draining.push(old.stop(false)); // in-flight requests on the old listener finish
    },
    async stop(graceMs = 10_000) {
      const graceful = Promise.all([server.stop(false), ...draining]).then(() => false);
      const forced = await Promise.race([graceful, Bun.sleep(graceMs).then(() => true)]);
      if (forced) {
        const closeAll = Promise.all([server, ...retired].map((l) => l.stop(true)));
        await Promise.race([closeAll, Bun.sleep(1_000)]);
      }
      return forced;
    },
  };
}
