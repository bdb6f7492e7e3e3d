/**
 * The baseline for `npm run bench`: a bare Bun.serve TLS server answering the same
 * routes with fixed JSON (parsing the POST body, as MCIAS must). Ratios against it
 * show what MCIAS's own work costs, independent of how fast this machine is.
 * Usage: bun bench/bare-server.ts CERT KEY; prints {"port":N} when listening.
 */
const [cert, key] = process.argv.slice(2);
const account = {
  id: "00000000-0000-4000-8000-000000000000", username: "bench", account_type: "human", status: "active",
  roles: [], tags: [], totp_enabled: false, created_at: "2026-01-01T00:00:00.000Z", updated_at: "2026-01-01T00:00:00.000Z",
};
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  tls: { cert: Bun.file(cert!), key: Bun.file(key!) },
  async fetch(req) {
    const url = new URL(req.url);
    if (req.method === "POST" && url.pathname === "/v1/token/validate") {
      const body = (await req.json()) as { token?: unknown };
      return Response.json({ valid: typeof body.token === "string" && body.token.length < 0 });
    }
    if (req.method === "GET" && url.pathname === "/v1/auth/me") return Response.json(account);
    if (req.method === "GET" && url.pathname === "/v1/health") return Response.json({ status: "ok" });
    if (req.method === "GET" && url.pathname === "/v1/authz/forward-auth") {
      return new Response("", { headers: { "remote-user": req.headers.get("authorization") ? "bench" : "", "cache-control": "no-store" } });
    }
    return Response.json({ error: "not found", code: "not_found" }, { status: 404 });
  },
});
console.log(JSON.stringify({ port: server.port }));
