/** Login, logout and the unseal page. */
import { AppError } from "../../errors";
import { html } from "../html";
import { SESSION_COOKIE, cookie, parseCookies, sessionCookie } from "../http";
import { field, postForm } from "../layout";
import { notice, str, type Route, type UiDeps } from "../routes";
import { loginPasskeyBlock } from "./onboarding";
import { oidcInteraction, oidcReturn } from "../oidcReturn";

export function sessionRoutes(deps: UiDeps): Route[] {
  const { s } = deps;
  /** True when the request carries a live session (the login page then sends it home). */
  async function signedIn(req: Request): Promise<boolean> {
    const jwt = parseCookies(req.headers.get("cookie")).get(SESSION_COOKIE);
    if (!jwt) return false;
    return s.tokens.authenticate(jwt).then(() => true, () => false);
  }

  /** `rd` (SPEC §16): where to return after sign-in; only an address sso.safeRedirect accepts survives. */
  const returnTo = (rd: string | null) => s.sso.safeRedirect(rd);
  // Returning to an OpenID Connect application (`oidc`, an interaction id) ends in a
  // cross-origin redirect: a full navigation, never an htmx (XHR) request, which CSP
  // connect-src would block.
  const loginForm = (csrf: string, username = "", rd: string | null = null, oidc: string | null = null) =>
    oidc ? html`<div hx-boost="false">${form(csrf, username, null, oidc)}</div>` : form(csrf, username, rd, null);
  const form = (csrf: string, username: string, rd: string | null, oidc: string | null) => postForm("/login", csrf, html`
    ${rd ? html`<input type="hidden" name="rd" value="${rd}">` : ""}
    ${oidc ? html`<input type="hidden" name="oidc" value="${oidc}">` : ""}
    ${field({ name: "username", label: "Username", value: username, required: true, autocomplete: "username", id: "login-username" })}
    ${field({ name: "password", label: "Password", type: "password", required: true, autocomplete: "current-password", id: "login-password" })}
    ${field({ name: "totp_code", label: "TOTP code", hint: "Only if two-factor authentication is on for your account. A recovery code works here too.", autocomplete: "one-time-code", id: "login-totp" })}
    <button type="submit">Sign in</button>`, { label: "Sign in" });

  return [
    {
      method: "GET", path: "/login", opts: { anon: true },
      handler: async (rc) => {
        const rd = returnTo(rc.url.searchParams.get("rd"));
        const oidc = oidcReturn(rc.url.searchParams.get("oidc"));
        if (await signedIn(rc.request)) return rc.redirect(oidc ? oidcInteraction(oidc) : rd ?? "/");
        // SPEC §16: a link to an app followed from another site arrives here without the
        // SameSite=Strict session cookie, though the person may well be signed in. One
        // navigation started by this page itself is same-site, so the cookie comes along
        // (and a signed-out person simply gets the form). Only for cross-site arrivals;
        // an OIDC sign-in started from another site has the same problem.
        if ((rd || oidc) && rc.request.headers.get("sec-fetch-site") === "cross-site") {
          const self = oidc ? `/login?oidc=${encodeURIComponent(oidc)}` : `/login?rd=${encodeURIComponent(rd!)}`;
          return new Response(html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${self}"><title>Sign in · MCIAS</title></head><body><p><a href="${self}">Continue to sign in</a></p></body></html>`.value,
            { headers: { "content-type": "text/html; charset=utf-8" } });
        }
        return rc.render("Sign in", html`<div class="card narrow"><h1>Sign in</h1>${oidc ? html`<p>An application asks you to sign in with MCIAS.</p>` : ""}${loginForm(rc.csrf, "", rd, oidc)}${loginPasskeyBlock(deps, rc)}</div>`, { notice: notice(rc) });
      },
    },
    {
      method: "POST", path: "/login", opts: { anon: true, back: "/login", rateLimit: "login" },
      handler: async (rc) => {
        const username = str(rc.form, "username");
        const code = str(rc.form, "totp_code");
        const rd = returnTo(rc.form.get("rd"));
        const oidc = oidcReturn(rc.form.get("oidc"));
        try {
          const t = await s.auth.login(rc.ctx, { username, password: rc.form.get("password") ?? "", ...(code ? { totp_code: code } : {}) });
          rc.cookies.push(sessionCookie(t.token, s.tokens.secondsUntil(t.expires_at)));
          // CSP form-action 'self' also governs the redirects that follow a form post, and the
          // interaction ends in a redirect to the application: continue by a fresh navigation.
          if (oidc) return rc.render("Signing in", continuePage(oidcInteraction(oidc)));
          return rc.redirect(rd ?? "/");
        } catch (e) {
          if (e instanceof AppError && e.code === "unauthorized") {
            return rc.render("Sign in", html`<div class="card narrow"><h1>Sign in</h1>${loginForm(rc.csrf, username, rd, oidc)}${loginPasskeyBlock(deps, rc)}</div>`, { status: 401, error: "Invalid username, password or code." });
          }
          throw e;
        }
      },
    },
    {
      method: "POST", path: "/logout",
      handler: (rc) => {
        s.auth.logout(rc.ctx);
        rc.cookies.push(cookie(SESSION_COOKIE, "", 0));
        return rc.redirect("/login?notice=logged_out");
      },
    },
    {
      method: "GET", path: "/unseal", opts: { anon: true, whileSealed: "vault.unseal" },
      handler: (rc) => rc.render("Unseal", unsealPage(rc.csrf)),
    },
    {
      method: "POST", path: "/unseal", opts: { anon: true, whileSealed: "vault.unseal", back: "/unseal", rateLimit: "unseal" },
      handler: async (rc) => {
        try {
          await s.vault.unseal(rc.ctx, rc.form.get("passphrase") ?? "");
        } catch (e) {
          if (e instanceof AppError && (e.code === "unauthorized" || e.code === "bad_request")) {
            return rc.render("Unseal", unsealPage(rc.csrf), { status: e.status, error: e.code === "unauthorized" ? "Wrong passphrase." : e.message });
          }
          throw e;
        }
        return rc.redirect("/login?notice=unsealed");
      },
    },
  ];
}

const continuePage = (next: string) =>
  html`<meta http-equiv="refresh" content="0;url=${next}"><div class="card narrow"><h1>Signing in…</h1><p><a href="${next}">Continue to the application</a></p></div>`;

function unsealPage(csrf: string) {
  return html`<div class="card narrow"><h1>Vault sealed</h1>
<p>The server holds no master key. Enter the passphrase to unseal it.</p>
${postForm("/unseal", csrf, html`${field({ name: "passphrase", label: "Passphrase", type: "password", required: true, autocomplete: "off", id: "unseal-passphrase" })}<button type="submit">Unseal</button>`, { label: "Unseal" })}</div>`;
}
