/**
 * The one request wrapper of the console: sealed redirect, CSRF cookie and check,
 * session cookie authentication and renewal, and errors rendered as HTML pages (the
 * API's global onError would answer JSON, so no error leaves a UI handler).
 */
import type { LimiterName, Limiters } from "../http/limiters";
import { clientIpOf } from "../http/requestInfo";
import { redactPath } from "../http/redact";
import { AppError } from "../errors";
import type { Logger } from "../log";
import type { Ctx, Principal, Services } from "../services";
import type { SealedOperation } from "../services/vault";
import { CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, type Csrf } from "./csrf";
import { html, type Html } from "./html";
import { page, type NavItem } from "./layout";

import { parseCookies, SESSION_COOKIE } from "../http/cookies";
export { parseCookies, SESSION_COOKIE };

export interface Rc {
  request: Request;
  url: URL;
  ctx: Ctx;
  /** Present on authenticated routes. */
  principal: Principal;
  csrf: string;
  form: URLSearchParams;
  params: Record<string, string>;
  /** Cookies to set on whatever response the handler returns. */
  cookies: string[];
  nav: NavItem[];
  /** Renders a full page with the shell for this request. */
  render(title: string, body: Html | Html[], o?: { status?: number; current?: string; notice?: string | null; error?: string | null }): Response;
  redirect(location: string): Response;
}

export type Handler = (rc: Rc) => Response | Promise<Response>;

export function cookie(name: string, value: string, maxAgeS?: number): string {
  return `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Strict${maxAgeS !== undefined ? `; Max-Age=${maxAgeS}` : ""}`;
}

const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The session cookie for a token that lives `maxAgeS` more seconds (services.tokens.secondsUntil). */
export function sessionCookie(token: string, maxAgeS: number): string {
  return cookie(SESSION_COOKIE, token, maxAgeS);
}

const STATUS_TITLES: Record<number, string> = {
  400: "Bad request", 401: "Not signed in", 403: "Forbidden", 404: "Not found", 409: "Conflict",
  413: "Too large", 429: "Too many requests", 500: "Something went wrong", 503: "Vault sealed",
};

export interface RouteOptions {
  /** Public pages (login, unseal) need no session. */
  anon?: boolean;
  /** Where the error page's "back" link points for a failed action. */
  back?: string | ((rc: Rc) => string);
  /** The per-IP limit this route draws from (applied here, after the CSRF and session checks). */
  rateLimit?: LimiterName;
  /** The sealed-server operation this page serves (only the unseal page): see services/vault.ts. */
  whileSealed?: SealedOperation;
}

export function createHttp(s: Services, csrf: Csrf, limiters: Limiters, log: Logger, navFor: (p: Principal) => NavItem[]) {

  // SPEC §16 portal session: with [sso] cookie_domain the session cookie (set, renewed
  // or cleared by any page) is scoped to the parent domain, so apps on sibling hosts
  // behind forward-auth see it. Done here, once, for every Set-Cookie the console sends.
  const domain = s.sso.cookieDomain();
  const scoped = (c: string) => (domain && c.startsWith(`${SESSION_COOKIE}=`) ? `${c}; Domain=${domain}` : c);

  function respond(body: Html, status: number, cookies: string[], extra: Record<string, string> = {}): Response {
    const headers = new Headers({ "content-type": "text/html; charset=utf-8", ...extra });
    for (const c of cookies) headers.append("set-cookie", scoped(c));
    return new Response(body.value, { status, headers });
  }

  function hxRedirectHeaders(location: string, cookies: string[]): Headers {
    const headers = new Headers({ "hx-redirect": location });
    for (const c of cookies) headers.append("set-cookie", scoped(c));
    return headers;
  }

  function redirectTo(location: string, cookies: string[]): Response {
    const headers = new Headers({ location });
    for (const c of cookies) headers.append("set-cookie", scoped(c));
    return new Response(null, { status: 303, headers });
  }

  function errorPage(rc: Rc, status: number, message: string, back?: string, extra: Record<string, string> = {}): Response {
    const title = STATUS_TITLES[status] ?? "Error";
    const body = html`<div class="card narrow"><h1>${title}</h1><p>${message}</p>${back ? html`<p><a href="${back}">Back</a></p>` : html`<p><a href="/">Dashboard</a></p>`}</div>`;
    return respond(page({ title, csrf: rc.csrf, principal: rc.principal?.id ? rc.principal : null, nav: rc.nav }, body), status, rc.cookies, extra);
  }

  function wrap(handler: Handler, opts: RouteOptions = {}) {
    return async ({ request, params }: { request: Request; params?: Record<string, string> }): Promise<Response> => {
      const url = new URL(request.url);
      const cookies = parseCookies(request.headers.get("cookie"));
      const set: string[] = [];
      let token = cookies.get(CSRF_COOKIE) ?? "";
      if (!csrf.isSigned(token)) {
        token = csrf.issue();
        set.push(cookie(CSRF_COOKIE, token));
      }
      const rc: Rc = {
        request, url, ctx: { ip: clientIpOf(request), principal: null }, principal: null as unknown as Principal,
        csrf: token, form: new URLSearchParams(), params: params ?? {}, cookies: set, nav: [],
        render(title, body, o = {}) {
          return respond(page({ title, csrf: token, principal: rc.principal?.id ? rc.principal : null, nav: rc.nav, current: o.current, notice: o.notice, error: o.error }, body), o.status ?? 200, set);
        },
        // Leaving this origin (the return to an app after sign-in, SPEC §16): htmx follows
        // a 303 inside its XHR, which cannot leave the origin, so it is told to navigate;
        // a plain form post may not be redirected elsewhere (CSP form-action 'self'), so
        // the browser is handed a page that moves on by itself (Refresh) with a link.
        redirect: (location) => {
          if (new URL(location, url).origin === url.origin) return redirectTo(location, set);
          if (request.headers.has("hx-request")) return new Response(null, { status: 200, headers: hxRedirectHeaders(location, set) });
          if (request.method !== "POST") return redirectTo(location, set);
          return respond(html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed in · MCIAS</title></head><body><p><a href="${location}">Continue</a></p></body></html>`,
            200, set, { refresh: `0;url=${location}` });
        },
      };
      try {
        const sealed = s.vault.isSealed();
        if (!s.vault.admits(opts.whileSealed)) return redirectTo("/unseal", set);
        if (!sealed && opts.whileSealed) return redirectTo("/", set);

        const unsafe = request.method !== "GET" && request.method !== "HEAD";
        if (unsafe) {
          const type = request.headers.get("content-type") ?? "";
          if (type.startsWith("application/x-www-form-urlencoded")) rc.form = new URLSearchParams(await request.text());
          // Either carrier may hold it: after a swapped-in page (htmx replaces <body>'s content,
          // not its hx-headers attribute) the form field can be fresher than the header.
          const jar = cookies.get(CSRF_COOKIE);
          const byHeader = csrf.verify(jar, request.headers.get(CSRF_HEADER));
          const byField = csrf.verify(jar, rc.form.get(CSRF_FIELD));
          if (!byHeader && !byField) {
            return errorPage(rc, 403, "This form has expired or did not come from this site. Reload the page and try again.");
          }
        }

        if (!opts.anon) {
          const jwt = cookies.get(SESSION_COOKIE) ?? "";
          let principal: Principal | null = null;
          if (JWT_RE.test(jwt)) {
            try {
              principal = await s.tokens.authenticate(jwt);
            } catch (e) {
              if (e instanceof AppError && e.code === "vault_sealed") return redirectTo("/unseal", set);
            }
          }
          if (!principal) {
            if (jwt) set.push(cookie(SESSION_COOKIE, "", 0));
            return redirectTo("/login", set);
          }
          rc.principal = principal;
          rc.ctx = { ip: rc.ctx.ip, principal };
          rc.nav = navFor(principal);
          // Renew a session past half its life on a plain page load (never on htmx or POST
          // requests, which may run in parallel with the old cookie).
          if (!unsafe && !request.headers.has("hx-request") && s.tokens.pastHalfLife(principal)) {
            try {
              const renewed = await s.auth.renew(rc.ctx);
              set.push(sessionCookie(renewed.token, s.tokens.secondsUntil(renewed.expires_at)));
              const fresh = await s.tokens.authenticate(renewed.token);
              rc.principal = fresh;
              rc.ctx = { ip: rc.ctx.ip, principal: fresh };
            } catch {
              return redirectTo("/login", set); // the old token was revoked by a parallel renew
            }
          }
        }
        if (opts.rateLimit) limiters.check(opts.rateLimit, rc.ctx.ip);
        return await handler(rc);
      } catch (e) {
        if (e instanceof AppError) {
          if (e.code === "unauthorized" && !opts.anon) {
            set.push(cookie(SESSION_COOKIE, "", 0));
            return redirectTo("/login", set);
          }
          if (e.code === "vault_sealed") return redirectTo("/unseal", set);
          const back = typeof opts.back === "function" ? opts.back(rc) : opts.back;
          const extra: Record<string, string> = e.retryAfter !== undefined ? { "retry-after": String(e.retryAfter) } : {};
          return errorPage(rc, e.status, e.message, back, extra);
        }
        const err = e as Error;
        log.error("ui error", { path: redactPath(url.pathname), error: err?.name ?? "Error", message: String(err?.message ?? e).slice(0, 300) });
        return errorPage(rc, 500, "The server could not complete this request.");
      }
    };
  }

  return { wrap, respond, redirectTo };
}

export type Http = ReturnType<typeof createHttp>;
