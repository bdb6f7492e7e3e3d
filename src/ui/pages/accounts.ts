/** Accounts: list with filters, create, and the detail page with every admin action. */
import type { AccountView } from "../../services/views";
import { html } from "../html";
import { AppError } from "../../errors";
import { actionButton, badge, field, fieldError, postForm, select, statusBadge, table, time } from "../layout";
import { may } from "../nav";
import { list, notice, str, type Route, type UiDeps } from "../routes";
import type { Rc } from "../http";

const STATUSES = ["active", "inactive", "deleted"] as const;
const TYPES = ["human", "system"] as const;

export function accountRoutes({ s }: UiDeps): Route[] {
  const back = (rc: Rc) => `/accounts/${encodeURIComponent(rc.params.id ?? "")}`;
  const done = (rc: Rc, key: string) => rc.redirect(`${back(rc)}?notice=${key}`);

  return [
    { method: "GET", path: "/accounts", handler: (rc) => listPage(rc) },
    {
      method: "POST", path: "/accounts", opts: { back: "/accounts" },
      handler: async (rc) => {
        const type = TYPES.find((x) => x === str(rc.form, "account_type")) ?? "human";
        const password = rc.form.get("password") ?? "";
        // Usernames are lower case: "Alice" is alice, not an error.
        const username = str(rc.form, "username").toLowerCase();
        const roles = str(rc.form, "roles");
        try {
          const a = await s.accounts.create(rc.ctx, {
            username, account_type: type, ...(password !== "" ? { password } : {}), roles: list(rc.form, "roles").map((r) => r.toLowerCase()),
          });
          return rc.redirect(`/accounts/${a.id}?notice=created`);
        } catch (e) {
          if (!(e instanceof AppError) || (e.code !== "bad_request" && e.code !== "conflict")) throw e;
          // The form again, with what was typed (never the password) and the reason beside the field.
          const err = fieldError(e.message, { username: /username/i, password: /password|characters/i, roles: /role/i });
          return listPage(rc, { values: { username, account_type: type, roles }, errors: err, status: e.status });
        }
      },
    },
    {
      method: "GET", path: "/accounts/:id",
      handler: (rc) => {
        const a = s.accounts.get(rc.ctx, rc.params.id ?? "");
        return rc.render(a.username, detail(rc, a), { current: "/accounts", notice: notice(rc) });
      },
    },
    {
      method: "POST", path: "/accounts/:id/status", opts: { back },
      handler: (rc) => {
        const v = str(rc.form, "status");
        s.accounts.updateStatus(rc.ctx, rc.params.id ?? "", v === "inactive" ? "inactive" : "active");
        return done(rc, "status");
      },
    },
    {
      method: "POST", path: "/accounts/:id/delete", opts: { back },
      handler: (rc) => {
        s.accounts.delete(rc.ctx, rc.params.id ?? "");
        return rc.redirect("/accounts?notice=deleted");
      },
    },
    {
      method: "POST", path: "/accounts/:id/password", opts: { back },
      handler: async (rc) => {
        await s.accounts.setPassword(rc.ctx, rc.params.id ?? "", rc.form.get("password") ?? "");
        return done(rc, "password_reset");
      },
    },
    {
      method: "POST", path: "/accounts/:id/totp/remove", opts: { back },
      handler: (rc) => {
        s.accounts.removeTotp(rc.ctx, rc.params.id ?? "");
        return done(rc, "totp_removed");
      },
    },
    {
      method: "POST", path: "/accounts/:id/roles", opts: { back },
      handler: (rc) => {
        s.accounts.grantRole(rc.ctx, rc.params.id ?? "", str(rc.form, "role"));
        return done(rc, "roles");
      },
    },
    {
      method: "POST", path: "/accounts/:id/roles/revoke", opts: { back },
      handler: (rc) => {
        s.accounts.revokeRole(rc.ctx, rc.params.id ?? "", str(rc.form, "role"));
        return done(rc, "roles");
      },
    },
    {
      method: "POST", path: "/accounts/:id/tags", opts: { back },
      handler: (rc) => {
        s.accounts.setTags(rc.ctx, rc.params.id ?? "", list(rc.form, "tags"));
        return done(rc, "tags");
      },
    },
    {
      method: "POST", path: "/accounts/:id/tokens/revoke", opts: { back },
      handler: (rc) => {
        s.tokens.revoke(rc.ctx, str(rc.form, "jti"));
        return done(rc, "token_revoked");
      },
    },
  ];

  /** The list, its filters and the new-account form (again with what was typed and why it was refused). */
  function listPage(rc: Rc, form?: { values: { username: string; account_type: string; roles: string }; errors: { field: string | null; message: string }; status: number }) {
    const q = rc.url.searchParams;
    const status = STATUSES.find((x) => x === q.get("status"));
    const type = TYPES.find((x) => x === q.get("type"));
    const rows = s.accounts.list(rc.ctx, { status, account_type: type });
    const canCreate = may(s, rc.principal, "accounts:create", "account");
    const err = (name: string) => (form?.errors.field === name ? form.errors.message : null);
    const v = form?.values;
    return rc.render("Accounts", html`<h1>Accounts</h1>
<form method="get" action="/accounts" class="inline" aria-label="Filter accounts">
${select({ name: "status", label: "Status", value: status ?? "", options: [["", "active and inactive"], ["active", "active"], ["inactive", "inactive"], ["deleted", "deleted"]], id: "filter-status" })}
${select({ name: "type", label: "Type", value: type ?? "", options: [["", "any"], ["human", "human"], ["system", "system"]], id: "filter-type" })}
<button type="submit" class="secondary">Filter</button></form>
${table(["Username", "Type", "Status", "Roles", "TOTP", "Created"], rows.map((a) => html`<tr>
<td><a href="/accounts/${a.id}">${a.username}</a></td><td>${a.account_type}</td><td>${statusBadge(a.status)}</td>
<td>${a.roles.map((r) => badge(r))}</td><td>${a.totp_enabled ? "on" : "off"}</td><td>${time(a.created_at)}</td></tr>`), "No accounts match this filter.", "Accounts")}
${canCreate ? html`<h2 id="h-new">New account</h2><div class="card">
${form && form.errors.field === null ? html`<p class="error" role="alert">${form.errors.message}</p>` : ""}
${postForm("/accounts", rc.csrf, html`
${field({ name: "username", label: "Username", required: true, hint: "Lowercase letters, digits, . _ - (capitals are folded to lower case)", id: "new-username", autocomplete: "off", value: v?.username, error: err("username") })}
${select({ name: "account_type", label: "Type", options: [["human", "human (signs in with a password)"], ["system", "system (service, uses tokens)"]], id: "new-type", value: v?.account_type })}
${field({ name: "password", label: "Password", type: "password", hint: "Humans only; 12–256 characters. Leave empty to set it later (or invite).", id: "new-password", autocomplete: "new-password", error: err("password") })}
${field({ name: "roles", label: "Roles", hint: "Optional, comma separated.", id: "new-roles", autocomplete: "off", value: v?.roles, error: err("roles") })}
<div><button type="submit">Create account</button></div>`, { label: "New account" })}</div>` : ""}`,
    { current: "/accounts", notice: form ? null : notice(rc), status: form?.status });
  }

  function detail(rc: Rc, a: AccountView) {
    const p = rc.principal;
    const can = (action: Parameters<typeof may>[2]) => may(s, p, action, "account", a.id);
    const base = `/accounts/${a.id}`;
    const live = a.status !== "deleted";
    const tokens = may(s, p, "tokens:read", "account", a.id) ? s.tokens.list(rc.ctx, a.id) : null;
    const canRevoke = may(s, p, "tokens:revoke", "token", a.id);
    return html`<p><a href="/accounts">← Accounts</a></p>
<h1>${a.username} ${statusBadge(a.status)}</h1>
<div class="card"><dl class="props">
<dt>ID</dt><dd class="mono">${a.id}</dd><dt>Type</dt><dd>${a.account_type}</dd>
<dt>Two-factor</dt><dd>${a.totp_enabled ? badge("on", "ok") : badge("off")}</dd>
<dt>Created</dt><dd>${time(a.created_at)}</dd><dt>Updated</dt><dd>${time(a.updated_at)}</dd>
</dl>${a.account_type === "system" ? html`<p><a href="/services/${a.id}">Tokens, delegates and Postgres credentials →</a></p>` : ""}</div>

${live && can("accounts:update") ? html`<h2>Status</h2><div class="card">
${a.status === "active"
  ? actionButton(`${base}/status`, rc.csrf, "Deactivate", { cls: "secondary", hidden: { status: "inactive" }, confirm: "Deactivate this account? All its tokens are revoked." })
  : actionButton(`${base}/status`, rc.csrf, "Activate", { cls: "secondary", hidden: { status: "active" } })}
${can("accounts:delete") ? actionButton(`${base}/delete`, rc.csrf, "Delete account", { cls: "danger", confirm: "Delete this account? This cannot be undone; the username stays reserved." }) : ""}
</div>` : ""}

<h2>Roles</h2><div class="card">
${a.roles.length ? html`<ul>${a.roles.map((r) => html`<li>${badge(r)} ${live && can("roles:write") ? actionButton(`${base}/roles/revoke`, rc.csrf, `Remove ${r}`, { hidden: { role: r } }) : ""}</li>`)}</ul>` : html`<p class="empty">No roles.</p>`}
${live && can("roles:write") ? postForm(`${base}/roles`, rc.csrf, html`${field({ name: "role", label: "Grant role", required: true, id: "grant-role", autocomplete: "off" })}<button type="submit">Grant</button>`, { cls: "inline", label: "Grant role" }) : ""}
</div>

<h2>Tags</h2><div class="card">
${a.tags.length ? html`<p>${a.tags.map((t) => badge(t))}</p>` : html`<p class="empty">No tags.</p>`}
${live && can("tags:write") ? postForm(`${base}/tags`, rc.csrf, html`${field({ name: "tags", label: "Tags", value: a.tags.join(", "), hint: "key:value or plain words, comma separated; replaces the set.", id: "set-tags", autocomplete: "off" })}<button type="submit">Save tags</button>`, { cls: "inline", label: "Tags" }) : ""}
</div>

${live && a.account_type === "human" && can("accounts:update") ? html`<h2>Password</h2><div class="card">
${postForm(`${base}/password`, rc.csrf, html`${field({ name: "password", label: "New password", type: "password", required: true, hint: "12–256 characters. The account's tokens are revoked.", id: "reset-password", autocomplete: "new-password" })}<button type="submit">Reset password</button>`, { cls: "inline", label: "Reset password" })}</div>` : ""}

${live && a.totp_enabled && can("totp:remove") ? html`<h2>Two-factor</h2><div class="card">
${actionButton(`${base}/totp/remove`, rc.csrf, "Remove TOTP", { cls: "danger", confirm: "Remove this account's TOTP? It can then sign in with the password alone." })}</div>` : ""}

${tokens ? html`<h2>Tokens</h2>${table(["JTI", "Issued", "Expires", "Revoked", ""], tokens.map((t) => html`<tr>
<td class="mono">${t.jti}</td><td>${time(t.issued_at)}</td><td>${time(t.expires_at)}</td><td>${t.revoked_at ? time(t.revoked_at) : badge("valid", "ok")}</td>
<td>${!t.revoked_at && canRevoke ? actionButton(`${base}/tokens/revoke`, rc.csrf, "Revoke", { hidden: { jti: t.jti }, confirm: "Revoke this token?" }) : ""}</td></tr>`), "No tokens issued.", "Tokens")}` : ""}`;
  }
}
