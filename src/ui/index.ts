/**
 * The HTMX web UI (SPEC §11), mounted beside the API on the same server. Server-rendered
 * pages over the same services as the REST API; session in the `mcias_session` cookie,
 * CSRF double-submit token on every state-changing request, errors as HTML pages.
 */
import { Elysia } from "elysia";
import type { Limiters } from "../http/limiters";
import type { Logger } from "../log";
import type { Services } from "../services";
import { staticFile } from "./assets";
import { createCsrf } from "./csrf";
import { createHttp } from "./http";
import { navFor } from "./nav";
import { accountRoutes } from "./pages/accounts";
import { auditRoutes } from "./pages/audit";
import { dashboardRoutes } from "./pages/dashboard";
import { oidcRoutes } from "./pages/oidc";
import { policyRoutes } from "./pages/policy";
import { profileRoutes } from "./pages/profile";
import { serviceRoutes } from "./pages/services";
import { sessionRoutes } from "./pages/session";
import { onboardingRoutes } from "./pages/onboarding";
import type { Route } from "./routes";
import { html } from "./html";
import { errorResponse } from "../http/errorResponse";

const API_PREFIXES = ["/v1", "/docs", "/.well-known", "/static"];

export function createUi(s: Services, limiters: Limiters, log: Logger, csrfKey?: Uint8Array) {
  const csrf = createCsrf(csrfKey);
  const http = createHttp(s, csrf, limiters, log, (p) => navFor(s, p));
  const deps = { s };
  const routes: Route[] = [
    ...sessionRoutes(deps), ...dashboardRoutes(deps), ...accountRoutes(deps), ...serviceRoutes(deps),
    ...policyRoutes(deps), ...auditRoutes(deps), ...profileRoutes(deps), ...onboardingRoutes(deps), ...oidcRoutes(deps),
  ];
  // Console pages are HTML for people, not API: kept out of the OpenAPI document.
  const hidden = { detail: { hide: true } };
  const app = new Elysia({ name: "mcias-ui", seed: s.id })
    .get("/static/:file", ({ params }) => staticFile(params.file) ?? new Response("not found", { status: 404, headers: { "content-type": "text/plain" } }), hidden);
  // Unknown paths: an HTML 404 for the console, the API's JSON 404 under its own prefixes.
  const notFound = http.wrap((rc) => rc.render("Not found", html`<div class="card narrow"><h1>Not found</h1><p>There is no page here.</p><p><a href="/">Dashboard</a></p></div>`, { status: 404 }), { anon: true });
  app.get("/*", (c) => {
    const path = new URL(c.request.url).pathname;
    if (API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return errorResponse("not_found", "no such route");
    return notFound(c);
  }, hidden);
  for (const r of routes) {
    const h = http.wrap(r.handler, r.opts);
    // Elysia routes mutate the instance. Form bodies are read by the wrapper itself, so Elysia must not parse them.
    if (r.method === "GET") app.get(r.path, h, hidden);
    else app.post(r.path, h, { parse: "none", ...hidden });
  }
  return app;
}
