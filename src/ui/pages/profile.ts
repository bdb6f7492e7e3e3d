/** The caller's own profile: password change and TOTP enrollment. */
import { AppError } from "../../errors";
import { html } from "../html";
import { badge, field, fieldError, postForm, secretBox } from "../layout";
import { qrSvg } from "../qr";
import { notice, str, type Route, type UiDeps } from "../routes";
import type { Rc } from "../http";
import { profileOnboardingSections, totpConfirmedPage } from "./onboarding";

export function profileRoutes(deps: UiDeps): Route[] {
  const { s } = deps;
  const view = (rc: Rc, o: { status?: number; error?: string | null; field?: { id: string; message: string } } = {}) => {
    const err = (id: string) => (o.field?.id === id ? o.field.message : null);
    const me = s.auth.me(rc.ctx);
    const human = me.account_type === "human";
    return rc.render("Profile", html`<h1>Your profile</h1>
<div class="card"><dl class="props"><dt>Username</dt><dd>${me.username}</dd>${me.display_name ? html`<dt>Name</dt><dd>${me.display_name}</dd>` : ""}${me.email ? html`<dt>Email</dt><dd>${me.email}</dd>` : ""}<dt>ID</dt><dd class="mono">${me.id}</dd>
<dt>Roles</dt><dd>${me.roles.length ? me.roles.map((r) => badge(r)) : html`<span class="muted">none</span>`}</dd>
<dt>Tags</dt><dd>${me.tags.length ? me.tags.map((t) => badge(t)) : html`<span class="muted">none</span>`}</dd></dl></div>
${human ? html`<h2 id="h-password">Change password</h2><div class="card">${postForm("/profile/password", rc.csrf, html`
${field({ name: "current_password", label: "Current password", type: "password", required: true, autocomplete: "current-password", id: "pw-current", error: err("pw-current") })}
${field({ name: "new_password", label: "New password", type: "password", required: true, autocomplete: "new-password", hint: "12–256 characters, not your username.", id: "pw-new", error: err("pw-new") })}
${field({ name: "confirm_password", label: "Repeat new password", type: "password", required: true, autocomplete: "new-password", id: "pw-confirm", error: err("pw-confirm") })}
<div><button type="submit">Change password</button></div>`, { label: "Change password" })}</div>
<h2 id="h-totp">Two-factor authentication</h2><div class="card">
${me.totp_enabled ? html`<p>${badge("on", "ok")} A TOTP code is required when you sign in. To replace your authenticator, ask an admin to remove it first.</p>`
  : html`<p>${badge("off", "warn")} Add an authenticator app (TOTP) so a stolen password is not enough.</p>
${postForm("/profile/totp/enroll", rc.csrf, html`${field({ name: "current_password", label: "Current password", type: "password", required: true, autocomplete: "current-password", hint: "Adding a second factor needs your password, not only this session.", id: "totp-current", error: err("totp-current") })}<div><button type="submit">Set up TOTP</button></div>`, { label: "Set up TOTP" })}`}</div>` : ""}
${profileOnboardingSections(deps, rc, me)}`,
    { current: "/profile", notice: notice(rc), status: o.status, error: o.error });
  };

  return [
    { method: "GET", path: "/profile", handler: (rc) => view(rc) },
    {
      method: "POST", path: "/profile/password", opts: { back: "/profile" },
      handler: async (rc) => {
        const next = rc.form.get("new_password") ?? "";
        if (next !== (rc.form.get("confirm_password") ?? "")) return view(rc, { status: 400, field: { id: "pw-confirm", message: "The new passwords do not match." } });
        try {
          await s.auth.changePassword(rc.ctx, { current_password: rc.form.get("current_password") ?? "", new_password: next });
        } catch (e) {
          if (e instanceof AppError && (e.code === "bad_request" || e.code === "forbidden")) {
            const id = e.code === "forbidden" || /current/i.test(e.message) ? "pw-current" : "pw-new";
            return view(rc, { status: e.status, field: { id, message: fieldError(e.message, {}).message } });
          }
          throw e;
        }
        return rc.redirect("/profile?notice=password");
      },
    },
    {
      method: "POST", path: "/profile/totp/enroll", opts: { back: "/profile" },
      handler: async (rc) => {
        let e: { secret: string; otpauth_uri: string };
        try {
          e = await s.auth.totpEnroll(rc.ctx, { current_password: rc.form.get("current_password") ?? "" });
        } catch (err) {
          if (err instanceof AppError && err.code === "forbidden") return view(rc, { status: err.status, field: { id: "totp-current", message: fieldError(err.message, {}).message } });
          if (err instanceof AppError && err.code === "conflict") return view(rc, { status: err.status, error: err.message });
          throw err;
        }
        return rc.render("Set up TOTP", await enrollPage(rc, e.secret, e.otpauth_uri), { current: "/profile" });
      },
    },
    {
      method: "POST", path: "/profile/totp/confirm", opts: { back: "/profile" },
      handler: async (rc) => {
        let codes: string[];
        try {
          codes = s.auth.totpConfirm(rc.ctx, str(rc.form, "code")).recovery_codes;
        } catch (e) {
          if (!(e instanceof AppError) || e.code !== "bad_request") throw e;
          // A wrong code keeps the same secret: the authenticator already holds it.
          const pending = s.auth.totpPending(rc.ctx);
          if (!pending) return view(rc, { status: 400, error: `${e.message}. Start the setup again.` });
          const msg = /incorrect/.test(e.message) ? "That code is not right. Check the time on your phone and type the code your app shows now." : e.message;
          return rc.render("Set up TOTP", await enrollPage(rc, pending.secret, pending.otpauth_uri, msg), { current: "/profile", status: 400 });
        }
        // The recovery codes are shown once, on this page (never in a URL or a redirect).
        return rc.render("Two-factor authentication", totpConfirmedPage(codes), { current: "/profile" });
      },
    },
  ];
}

async function enrollPage(rc: Rc, secret: string, uri: string, codeError: string | null = null) {
  return html`<h1>Set up TOTP</h1><div class="card">
<p>Scan this code with your authenticator app, or enter the secret by hand. Then type the 6-digit code it shows.</p>
<div class="qr">${await qrSvg(uri, "QR code for your authenticator app")}</div>
${secretBox("totp-secret", "Secret (base32)", secret)}
${postForm("/profile/totp/confirm", rc.csrf, html`${field({ name: "code", label: "Code from the app", required: true, inputmode: "numeric", pattern: "[0-9]{6}", autocomplete: "one-time-code", id: "totp-code", error: codeError })}<div><button type="submit">Confirm</button></div>`, { label: "Confirm TOTP" })}
<p class="muted">Until you confirm, sign-in does not ask for a code.</p></div>`;
}
