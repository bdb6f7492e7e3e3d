/** Login, logout and the unseal page. */
import { AppError } from "../../errors";
import { html } from "../html";
import { SESSION_COOKIE, cookie, parseCookies, sessionCookie } from "../http";
import { field, postForm } from "../layout";
import { notice, str, type Route, type UiDeps } from "../routes";
import { loginPasskeyBlock } from "./onboarding";

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
  const loginForm = (csrf: string, username = "", rd: string | null = null) => postForm("/login", csrf, html`
    ${rd ? html`<input type="hidden" name="rd" value="${rd}">` : ""}
    ${field({ name: "username", label: "Username", value: username, required: true, autocomplete: "username", id: "login-username" })}
    ${field({ name: "password", label: "Password", type: "password", required: true, autocomplete: "current-password", id: "login-password" })}
    ${field({ name: "totp_code", label: "TOTP code", hint: "Only if two-factor authentication is on for your account. A recovery code works here too.", autocomplete: "one-time-code", id: "login-totp" })}
    <button type="submit">Sign in</button>`, { label: "Sign in" });

  return [
    {
      method: "GET", path: "/login", opts: { anon: true },
      handler: async (rc) => {
        const rd = returnTo(rc.url.searchParams.get("rd"));
        if (await signedIn(rc.request)) return rc.redirect(rd ?? "/");
        return rc.render("Sign in", html`<div class="card narrow"><h1>Sign in</h1>${loginForm(rc.csrf, "", rd)}${loginPasskeyBlock(deps, rc)}</div>`, { notice: notice(rc) });
      },
    },
    {
      method: "POST", path: "/login", opts: { anon: true, back: "/login", rateLimit: "login" },
      handler: async (rc) => {
        const username = str(rc.form, "username");
        const code = str(rc.form, "totp_code");
        const rd = returnTo(rc.form.get("rd"));
        try {
          const t = await s.auth.login(rc.ctx, { username, password: rc.form.get("password") ?? "", ...(code ? { totp_code: code } : {}) });
          rc.cookies.push(sessionCookie(t.token, s.tokens.secondsUntil(t.expires_at)));
          return rc.redirect(rd ?? "/");
        } catch (e) {
          if (e instanceof AppError && e.code === "unauthorized") {
            return rc.render("Sign in", html`<div class="card narrow"><h1>Sign in</h1>${loginForm(rc.csrf, username, rd)}${loginPasskeyBlock(deps, rc)}</div>`, { status: 401, error: "Invalid username, password or code." });
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

function unsealPage(csrf: string) {
  return html`<div class="card narrow"><h1>Vault sealed</h1>
<p>The server holds no master key. Enter the passphrase to unseal it.</p>
${postForm("/unseal", csrf, html`${field({ name: "passphrase", label: "Passphrase", type: "password", required: true, autocomplete: "off", id: "unseal-passphrase" })}<button type="submit">Unseal</button>`, { label: "Unseal" })}</div>`;
}
