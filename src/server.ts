/**
 * The HTTPS listener around the app: TLS (1.2 minimum, Bun's default), client IP
 * resolution, security headers on every response, and a request log line that holds
 * method, path, status, duration and IP — never headers, query strings or bodies.
 */
import type { Server } from "bun";
import { readFileSync } from "node:fs";
import { createProxyMatcher, resolveClientIp } from "./api/clientIp";
import { limitBody } from "./api/body";
import { errorResponse } from "./api/errors";
import { setClientIp } from "./api/requestInfo";
import { applySecurityHeaders } from "./api/securityHeaders";
import type { App } from "./app";
import type { Config } from "./config/schema";

export interface RunningServer {
  url: string;
  port: number;
  server: Server<undefined>;
  /** Re-reads the TLS certificate and key from disk (SIGHUP). */
  reloadTls(): void;
  /** Stops accepting, lets in-flight requests finish, then returns. */
  stop(): Promise<void>;
}

function readTls(config: Config) {
  return { cert: readFileSync(config.server.tlsCert, "utf8"), key: readFileSync(config.server.tlsKey, "utf8") };
}

export function startServer(app: App, config: Config): RunningServer {
  const isTrusted = createProxyMatcher(config.server.trustedProxies);
  const log = app.log;
  const fetch = async (incoming: Request, srv: Server<undefined>): Promise<Response> => {
    const started = performance.now();
    const url = new URL(incoming.url);
    const ip = resolveClientIp(srv.requestIP(incoming)?.address ?? null, incoming.headers.get("x-forwarded-for"), isTrusted);
    let res: Response;
    try {
      const req = await limitBody(incoming);
      if (req instanceof Response) res = req;
      else {
        setClientIp(req, ip);
        res = await app.handle(req);
      }
    } catch (e) {
      log.error("request failed", { path: url.pathname, error: (e as Error)?.name ?? "Error" });
      res = errorResponse("internal", "internal error");
    }
    applySecurityHeaders(res, url.pathname);
    log.info("request", {
      method: incoming.method, path: url.pathname, status: res.status,
      ms: Math.round((performance.now() - started) * 10) / 10, ip,
    });
    return res;
  };
  const server = Bun.serve({
    hostname: config.server.listenHost,
    port: config.server.listenPort,
    reusePort: false,
    development: false,
    // Backstop only: readJsonBody enforces the 64 KiB API limit with a JSON 413.
    maxRequestBodySize: 1024 * 1024,
    tls: readTls(config),
    fetch,
    error: () => errorResponse("internal", "internal error"),
  });
  const host = config.server.listenHost.includes(":") ? `[${config.server.listenHost}]` : config.server.listenHost;
  return {
    url: `https://${host}:${server.port}`,
    port: server.port!,
    server,
    reloadTls() {
      server.reload({ fetch, tls: readTls(config) } as Parameters<typeof server.reload>[0]);
    },
    async stop() {
      await server.stop(false);
    },
  };
}
