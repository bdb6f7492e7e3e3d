/**
 * GET|HEAD /v1/authz/forward-auth (SPEC §16): the question nginx `auth_request`, Caddy
 * `forward_auth` and Traefik `forwardAuth` ask on every request of a protected app.
 * This face only reads the request — the session cookie or a bearer token, the
 * original URL from a trusted proxy's headers, whether a browser asked — and writes
 * the service's answer. No rate limit (every request of every app passes here) and no
 * body. The forwarded headers count only when the socket peer is in
 * server.trusted_proxies; otherwise the request names no app and is refused.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { viaTrustedProxy, clientIpOf } from "../../http/requestInfo";
import { bearerTokenOrNull } from "../../http/bearer";
import { readCookie, SESSION_COOKIE } from "../../http/cookies";
import { responses } from "../../schemas/common";

function originalUrl(h: Headers): URL | null {
  const whole = h.get("x-original-url");
  if (whole) {
    try { return new URL(whole); } catch { return null; }
  }
  const host = h.get("x-forwarded-host");
  if (!host) return null;
  const proto = (h.get("x-forwarded-proto") ?? "https").split(",")[0]!.trim().toLowerCase();
  if (proto !== "https" && proto !== "http") return null;
  const uri = h.get("x-forwarded-uri") ?? "/";
  if (!uri.startsWith("/")) return null;
  try { return new URL(`${proto}://${host.split(",")[0]!.trim()}${uri}`); } catch { return null; }
}

const escapeHtml = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const forwardAuthRoutes = (s: Services) => {
  const handler = async ({ request, set }: { request: Request; set: { status?: number | string; headers: Record<string, string | number> } }) => {
    const h = request.headers;
    const browser = (h.get("accept") ?? "").includes("text/html");
    const answer = await s.sso.forwardAuth({
      ip: clientIpOf(request),
      token: bearerTokenOrNull(h.get("authorization")) ?? readCookie(h.get("cookie"), SESSION_COOKIE),
      original: viaTrustedProxy(request) ? originalUrl(h) : null,
      browser,
      nginx: h.has("x-original-url"),
    });
    set.status = answer.status;
    set.headers["cache-control"] = "no-store";
    if (answer.status === 200) Object.assign(set.headers, answer.headers);
    if ((answer.status === 302 || answer.status === 401) && answer.location) set.headers.location = answer.location;
    if (answer.status === 403 && answer.who && browser) {
      // A signed-in person the app is closed to: say so, and how to switch accounts.
      set.headers["content-type"] = "text/html; charset=utf-8";
      const portal = escapeHtml(answer.portal ?? "/");
      return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not allowed · MCIAS</title></head><body><h1>Not allowed</h1><p>You are signed in as <strong>${escapeHtml(answer.who)}</strong>, and this app is not open to that account.</p><p><a href="${portal}/">Your apps</a> · sign out there to use another account.</p></body></html>`;
    }
    return "";
  };
  const doc = {
    detail: {
      tags: ["sso"],
      summary: "Forward-auth for reverse proxies: 200 with Remote-User/Name/Email/Groups, 401 (API client, or nginx with Location), 302 to the portal login (browser), 403 not allowed",
      security: [],
    },
    response: responses({ 200: t.String({ description: "empty; identity in the Remote-* headers" }), 302: t.String(), 401: t.String(), 403: t.String() }),
  };
  return new Elysia({ prefix: "/v1/authz" })
    .get("/forward-auth", handler, doc)
    .head("/forward-auth", handler, { detail: { ...doc.detail, hide: true } });
};
