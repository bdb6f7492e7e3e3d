/**
 * The metrics listener (SPEC §19): plain HTTP on `server.metrics_addr`, one path,
 * `GET /metrics`. Plain HTTP because scrapers on a private interface expect it; the
 * config documentation says to bind it to loopback or a private network. It carries
 * no secret and no per-user label.
 */
import type { Server } from "bun";

export interface MetricsListener { url: string; stop(): Promise<void> }

export function startMetricsListener(host: string, port: number, expose: () => string | Promise<string>): MetricsListener {
  const server: Server<undefined> = Bun.serve({
    hostname: host,
    port,
    reusePort: false,
    development: false,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path !== "/metrics") return new Response("not found\n", { status: 404, headers: { "content-type": "text/plain" } });
      if (req.method !== "GET" && req.method !== "HEAD") return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
      return new Response(await expose(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" } });
    },
    error: () => new Response("internal error\n", { status: 500 }),
  });
  const h = host.includes(":") ? `[${host}]` : host;
  return { url: `http://${h}:${server.port}/metrics`, stop: () => server.stop(true) };
}
