/**
 * Console pages of SPEC §15: the invite page (choose a password, land signed in), the
 * admin's Invite button (the link shown once with a copy button), passkeys on the
 * profile (add, rename, remove) and on an account's page (admin: list, remove), the
 * "Sign in with a passkey" ceremony endpoints of the login page, and recovery codes.
 *
 * The WebAuthn ceremonies run in /static/passkey.js, which posts JSON here (CSRF
 * header, session cookie); these handlers validate it with the API's own schemas and
 * call the same services as REST.
 */
import { Value } from "@sinclair/typebox/value";
import { AuthenticationResponse, LoginOptionsBody, RegisterOptionsBody, RegistrationResponse } from "../../schemas/onboarding";
import { t } from "elysia";
import { AppError } from "../../errors";
import type { AccountView } from "../../services/views";
import { html, type Html } from "../html";
import { actionButton, badge, field, postForm, secretBox, table, time } from "../layout";
import { may } from "../nav";
import { sessionCookie, type Rc } from "../http";
import { str, type Route, type UiDeps } from "../routes";
import { oidcInteraction, oidcReturn } from "../oidcReturn";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const LoginVerify = t.Object({
  response: AuthenticationResponse,
  password: t.Optional(t.String({ minLength: 1, maxLength: 1024 })),
  /** The login page's `rd` (SPEC §16): honoured only if sso.safeRedirect accepts it. */
  rd: t.Optional(t.String({ maxLength: 4096 })),
  /** The login page's OpenID Connect interaction id (src/oidc/), to return to. */
  oidc: t.Optional(t.String({ maxLength: 64 })),
}, { additionalProperties: false });
const RegisterVerify = t.Object({ response: RegistrationResponse, name: t.Optional(t.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false });

/** The JSON body of a ceremony request, checked against its schema (400 otherwise). */
async function jsonBody<T>(rc: Rc, schema: Parameters<typeof Value.Check>[0]): Promise<T> {
  if (!(rc.request.headers.get("content-type") ?? "").startsWith("application/json")) throw new AppError("bad_request", "expected JSON");
  let v: unknown;
  try { v = await rc.request.json(); } catch { throw new AppError("bad_request", "malformed JSON body"); }
  if (!Value.Check(schema, v)) throw new AppError("bad_request", "invalid request");
  return v as T;
}

/** The page's own origin (scheme://host[:port]) as the browser sees it. */
const originOf = (rc: Rc) => rc.url.origin;

export function onboardingRoutes({ s }: UiDeps): Route[] {
  const invitePage = (rc: Rc, token: string, o: { status?: number; error?: string } = {}) => {
    const info = s.invites.info(token);
    const who = info.display_name ? `${info.display_name} (${info.username})` : info.username;
    return rc.render(info.reset ? "Reset your password" : "Welcome", html`<div class="card narrow">
<h1>${info.reset ? "Reset your password" : "Welcome to MCIAS"}</h1>
<p>This link is for <strong>${who}</strong>. ${info.reset ? "Choose a new password; your other sessions will be signed out." : "Choose a password to finish setting up your account."}</p>
${postForm(`/invite/${token}`, rc.csrf, html`
<div class="field"><label for="invite-username">Username</label><input id="invite-username" type="text" value="${info.username}" autocomplete="username" readonly></div>
${field({ name: "password", label: "New password", type: "password", required: true, autocomplete: "new-password", hint: "12–256 characters, not your username.", id: "invite-password" })}
${field({ name: "confirm_password", label: "Repeat the password", type: "password", required: true, autocomplete: "new-password", id: "invite-confirm" })}
<button type="submit">${info.reset ? "Set password and sign in" : "Create my password and sign in"}</button>`, { label: "Choose a password" })}
<p class="muted">After signing in you can add a passkey or an authenticator app. The link works once and expires ${time(info.expires_at)}.</p></div>`,
    { status: o.status, error: o.error });
  };

  return [
    // ---- the friend's side: the invite page ---------------------------------------
    {
      method: "GET", path: "/invite/:token", opts: { anon: true },
      handler: (rc) => invitePage(rc, rc.params.token ?? ""),
    },
    {
      method: "POST", path: "/invite/:token", opts: { anon: true, rateLimit: "login" },
      handler: async (rc) => {
        const token = rc.params.token ?? "";
        const password = rc.form.get("password") ?? "";
        if (password !== (rc.form.get("confirm_password") ?? "")) return invitePage(rc, token, { status: 400, error: "The passwords do not match." });
        let issued;
        try {
          issued = await s.invites.accept(rc.ctx, token, password);
        } catch (e) {
          if (e instanceof AppError && e.code === "bad_request") return invitePage(rc, token, { status: 400, error: e.message });
          throw e;
        }
        rc.cookies.push(sessionCookie(issued.token, s.tokens.secondsUntil(issued.expires_at)));
        return rc.redirect("/profile?notice=welcome");
      },
    },

    // ---- login page: passkey ceremony --------------------------------------------
    {
      method: "POST", path: "/login/passkey/options", opts: { anon: true, rateLimit: "login" },
      handler: async (rc) => {
        const body = await jsonBody<{ username?: string }>(rc, LoginOptionsBody);
        return json(await s.webauthn.loginOptions(rc.ctx, body));
      },
    },
    {
      method: "POST", path: "/login/passkey/verify", opts: { anon: true, rateLimit: "login" },
      handler: async (rc) => {
        const { rd, oidc, ...body } = await jsonBody<Parameters<typeof s.webauthn.loginVerify>[1] & { rd?: string; oidc?: string }>(rc, LoginVerify);
        const issued = await s.webauthn.loginVerify(rc.ctx, body);
        rc.cookies.push(sessionCookie(issued.token, s.tokens.secondsUntil(issued.expires_at)));
        const headers = new Headers({ "content-type": "application/json" });
        for (const c of rc.cookies) headers.append("set-cookie", c);
        const back = oidcReturn(oidc);
        return new Response(JSON.stringify({ redirect: back ? oidcInteraction(back) : s.sso.safeRedirect(rd ?? null) ?? "/" }), { status: 200, headers });
      },
    },

    // ---- profile: passkeys -------------------------------------------------------
    {
      method: "POST", path: "/profile/passkeys/options",
      handler: async (rc) => {
        const body = await jsonBody<{ current_password?: string }>(rc, RegisterOptionsBody);
        return json(await s.webauthn.registerOptions(rc.ctx, body));
      },
    },
    {
      method: "POST", path: "/profile/passkeys/verify",
      handler: async (rc) => {
        const body = await jsonBody<Parameters<typeof s.webauthn.registerVerify>[1]>(rc, RegisterVerify);
        return json(await s.webauthn.registerVerify(rc.ctx, body), 201);
      },
    },
    {
      method: "POST", path: "/profile/passkeys/:id/rename", opts: { back: "/profile" },
      handler: (rc) => {
        s.webauthn.rename(rc.ctx, rc.params.id ?? "", str(rc.form, "name"));
        return rc.redirect("/profile?notice=passkey_renamed#h-passkeys");
      },
    },
    {
      method: "POST", path: "/profile/passkeys/:id/remove", opts: { back: "/profile" },
      handler: (rc) => {
        s.webauthn.remove(rc.ctx, rc.params.id ?? "");
        return rc.redirect("/profile?notice=passkey_removed#h-passkeys");
      },
    },

    // ---- profile: recovery codes ---------------------------------------------------
    {
      method: "POST", path: "/profile/recovery-codes", opts: { back: "/profile" },
      handler: async (rc) => {
        const r = await s.auth.regenerateRecoveryCodes(rc.ctx, { current_password: rc.form.get("current_password") ?? "" });
        return rc.render("Recovery codes", recoveryCodesPage(r.recovery_codes, false), { current: "/profile" });
      },
    },

    // ---- admin: invite link and an account's passkeys ------------------------------
    {
      method: "POST", path: "/accounts/:id/invite", opts: { back: (rc) => `/accounts/${encodeURIComponent(rc.params.id ?? "")}` },
      handler: (rc) => {
        const id = rc.params.id ?? "";
        const a = s.accounts.get(rc.ctx, id);
        const link = s.invites.create(rc.ctx, id);
        return rc.render("Invite link", html`<p><a href="/accounts/${a.id}">← ${a.username}</a></p>
<h1>${link.reset ? "Reset link" : "Invite link"} for ${a.username}</h1>
<div class="card">
<p>Send this link to ${a.display_name ?? a.username} over a channel you trust. It works <strong>once</strong>, until ${time(link.expires_at)}, and it is shown only now: MCIAS keeps only a hash of it. Making a new link makes this one stop working.</p>
${secretBox("invite-url", "Invite link", link.url)}
</div>`, { current: "/accounts" });
      },
    },
    {
      method: "POST", path: "/accounts/:id/passkeys/:cred/remove", opts: { back: (rc) => `/accounts/${encodeURIComponent(rc.params.id ?? "")}` },
      handler: (rc) => {
        const id = rc.params.id ?? "";
        s.webauthn.remove(rc.ctx, rc.params.cred ?? "", { accountId: id });
        return rc.redirect(`/accounts/${encodeURIComponent(id)}?notice=passkey_removed`);
      },
    },
  ];

  function recoveryCodesPage(codes: string[], fromTotp: boolean): Html {
    return html`<h1>Your recovery codes</h1><div class="card">
${fromTotp ? html`<p>${badge("on", "ok")} Two-factor authentication is now on.</p>` : ""}
<p>Each code below works <strong>once</strong> in place of a TOTP code, if you lose your authenticator. Keep them somewhere safe (a password manager, or on paper). They are shown only now.</p>
${codesBox(codes)}
<p><a href="/profile">Done, back to your profile</a></p></div>`;
  }
}

function codesBox(codes: string[]): Html {
  return html`<div class="field"><span id="recovery-codes-label" class="hint">Recovery codes</span>
<div class="secret" role="group" aria-labelledby="recovery-codes-label"><code id="recovery-codes" class="codes">${codes.join("\n")}</code><button type="button" class="small secondary" data-copy="recovery-codes" hidden>Copy</button></div></div>`;
}

/** The profile's "Passkeys" and "Recovery codes" sections (rendered inside profile.ts). */
export function profileOnboardingSections(deps: UiDeps, rc: Rc, me: AccountView): Html {
  const { s } = deps;
  if (me.account_type !== "human") return html``;
  const creds = s.webauthn.list(rc.ctx);
  const passkeysUsable = s.webauthn.originAllowed(rc.url.origin);
  const left = me.totp_enabled ? s.auth.recoveryCodesLeft(rc.ctx) : 0;
  return html`<h2 id="h-passkeys">Passkeys and security keys</h2><div class="card">
<p class="muted">A passkey signs you in without a password and cannot be phished. A security key without a PIN works as a second factor after your password.</p>
${table(["Name", "Added", "Last used", ""], creds.map((c) => html`<tr>
<td>${postForm(`/profile/passkeys/${c.id}/rename`, rc.csrf, html`<label class="visually-hidden" for="rename-${c.id}">Name of passkey ${c.name}</label><input id="rename-${c.id}" name="name" type="text" value="${c.name}" maxlength="64" required><button type="submit" class="small secondary">Rename</button>`, { cls: "inline", label: `Rename ${c.name}` })}</td>
<td>${time(c.created_at)}</td><td>${time(c.last_used_at)}</td>
<td>${actionButton(`/profile/passkeys/${c.id}/remove`, rc.csrf, "Remove", { confirm: `Remove the passkey "${c.name}"? It will no longer sign you in.` })}</td></tr>`), "No passkeys yet.", "Your passkeys")}
${passkeysUsable ? html`<form class="inline" aria-label="Add a passkey">
${field({ name: "passkey_name", label: "Name (optional)", hint: "e.g. Laptop, Phone, YubiKey", id: "passkey-name", autocomplete: "off" })}
${field({ name: "current_password", label: "Current password", type: "password", hint: "Adding a way to sign in needs your password.", id: "passkey-password", autocomplete: "current-password" })}
<button type="button" data-passkey="register" data-status="passkey-register-status" hidden>Add a passkey</button></form>
<p id="passkey-register-status" class="hint" role="status" hidden></p>`
  : html`<p class="muted">Passkeys work only at ${s.webauthn.origins().join(", ")}; open the console there to add one.</p>`}
</div>
${me.totp_enabled ? html`<h2 id="h-recovery">Recovery codes</h2><div class="card">
<p>${left} unused recovery code${left === 1 ? "" : "s"} left. Each works once in place of a TOTP code.</p>
${postForm("/profile/recovery-codes", rc.csrf, html`${field({ name: "current_password", label: "Current password", type: "password", required: true, autocomplete: "current-password", id: "recovery-current" })}<div><button type="submit" class="secondary">Make new recovery codes</button></div>`, { label: "Make new recovery codes", confirm: "Make new recovery codes? The old ones stop working." })}
</div>` : ""}`;
}

/** The recovery codes shown once after TOTP confirmation (profile.ts renders it). */
export function totpConfirmedPage(codes: string[]): Html {
  return html`<h1>Two-factor authentication is on</h1><div class="card">
<p>${badge("on", "ok")} A TOTP code is now required when you sign in.</p>
<p>Each recovery code below works <strong>once</strong> in place of a TOTP code, if you lose your authenticator. Keep them somewhere safe. They are shown only now.</p>
${codesBox(codes)}
<p><a href="/profile">Done, back to your profile</a></p></div>`;
}

/** The account page's admin sections: the Invite button and the account's passkeys. */
export function accountOnboardingSections(deps: UiDeps, rc: Rc, a: AccountView): Html {
  const { s } = deps;
  if (a.account_type !== "human" || a.status === "deleted") return html``;
  const canInvite = a.status === "active" && may(s, rc.principal, "accounts:invite", "account", a.id);
  const canManageKeys = may(s, rc.principal, "webauthn:manage", "account", a.id);
  let creds: ReturnType<typeof s.webauthn.list> = [];
  if (canManageKeys) creds = s.webauthn.list(rc.ctx, a.id);
  return html`${canInvite ? html`<h2>Invite or reset link</h2><div class="card">
<p class="muted">A single-use link with which ${a.display_name ?? a.username} chooses a password and signs in. You never learn the password. A new link makes any earlier one stop working.</p>
${actionButton(`/accounts/${a.id}/invite`, rc.csrf, "Invite", { cls: "" })}</div>` : ""}
${canManageKeys ? html`<h2>Passkeys and security keys</h2>${table(["Name", "Added", "Last used", ""], creds.map((c) => html`<tr>
<td>${c.name}</td><td>${time(c.created_at)}</td><td>${time(c.last_used_at)}</td>
<td>${actionButton(`/accounts/${a.id}/passkeys/${c.id}/remove`, rc.csrf, "Remove", { confirm: `Remove the passkey "${c.name}" from ${a.username}?` })}</td></tr>`), "No passkeys registered.", "Passkeys")}` : ""}`;
}

/** The login page's passkey block. */
export function loginPasskeyBlock(deps: UiDeps, rc: Rc): Html {
  if (!deps.s.webauthn.originAllowed(originOf(rc))) {
    return html`<p class="muted passkey-note">Passkey sign-in works at ${deps.s.webauthn.origins().join(", ")}.</p>`;
  }
  return html`<div class="passkey-login">
<button type="button" class="secondary" data-passkey="login" data-status="passkey-login-status" hidden>Sign in with a passkey</button>
<button type="button" class="secondary" data-passkey="security-key" data-status="passkey-login-status" hidden>Use a security key after the password</button>
<p id="passkey-login-status" class="hint" role="status" hidden></p></div>`;
}
