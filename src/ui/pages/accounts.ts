/** Accounts: list with filters, create, and the detail page with every admin action. */
import type { AccountView } from "../../services/views";
import { html } from "../html";
import { actionButton, badge, field, postForm, select, statusBadge, table, time } from "../layout";
import { allowed } from "../nav";
import { list, notice, str, type Route, type UiDeps } from "../routes";
import type { Rc } from "../http";
import { accountOnboardingSections } from "./onboarding";

const STATUSES = ["active", "inactive", "deleted"] as const;
const TYPES = ["human", "system"] as const;

export function accountRoutes(deps: UiDeps): Route[] {
  const { s } = deps;
  const back = (rc: Rc) => `/accounts/${encodeURIComponent(rc.params.id ?? "")}`;
  const done = (rc: Rc, key: string) => rc.redirect(`${back(rc)}?notice=${key}`);

  return [
    {
      method: "GET", path: "/accounts",
      handler: (rc) => {
        const q = rc.url.searchParams;
        const status = STATUSES.find((x) => x === q.get("status"));
        const type = TYPES.find((x) => x === q.get("type"));
        const rows = s.accounts.list(rc.ctx, { status, account_type: type });
        const canCreate = allowed(s, rc.principal, "accounts:create", { type: "account" });
        return rc.render("Accounts", html`<h1>Accounts</h1>
<form method="get" action="/accounts" class="inline" aria-label="Filter accounts">
${select({ name: "status", label: "Status", value: status ?? "", options: [["", "active and inactive"], ["active", "active"], ["inactive", "inactive"], ["deleted", "deleted"]], id: "filter-status" })}
${select({ name: "type", label: "Type", value: type ?? "", options: [["", "any"], ["human", "human"], ["system", "system"]], id: "filter-type" })}
<button type="submit" class="secondary">Filter</button></form>
${table(["Username", "Type", "Status", "Roles", "TOTP", "Created"], rows.map((a) => html`<tr>
<td><a href="/accounts/${a.id}">${a.username}</a></td><td>${a.account_type}</td><td>${statusBadge(a.status)}</td>
<td>${a.roles.map((r) => badge(r))}</td><td>${a.totp_enabled ? "on" : "off"}</td><td>${time(a.created_at)}</td></tr>`), "No accounts match this filter.", "Accounts")}
${canCreate ? html`<h2 id="h-new">New account</h2><div class="card">${postForm("/accounts", rc.csrf, html`
${field({ name: "username", label: "Username", required: true, hint: "Letters, digits, . _ - (stored in lower case)", id: "new-username", autocomplete: "off" })}
${field({ name: "display_name", label: "Display name", hint: "Humans only; optional.", id: "new-display-name", autocomplete: "off" })}
${field({ name: "email", label: "Email", type: "email", hint: "Humans only; optional.", id: "new-email", autocomplete: "off" })}
${select({ name: "account_type", label: "Type", options: [["human", "human (signs in with a password)"], ["system", "system (service, uses tokens)"]], id: "new-type" })}
${field({ name: "password", label: "Password", type: "password", hint: "Humans only; 12–256 characters. Leave empty and send an invite link instead: the person then chooses their own.", id: "new-password", autocomplete: "new-password" })}
${field({ name: "roles", label: "Roles", hint: "Optional, comma separated.", id: "new-roles", autocomplete: "off" })}
<div><button type="submit">Create account</button></div>`, { label: "New account" })}</div>` : ""}`, { current: "/accounts", notice: notice(rc) });
      },
    },
    {
      method: "POST", path: "/accounts", opts: { back: "/accounts" },
      handler: async (rc) => {
        const type = TYPES.find((x) => x === str(rc.form, "account_type")) ?? "human";
        const password = rc.form.get("password") ?? "";
        const a = await s.accounts.create(rc.ctx, {
          username: str(rc.form, "username"), account_type: type,
          ...(password !== "" ? { password } : {}), roles: list(rc.form, "roles"),
          ...(type === "human" && str(rc.form, "email") ? { email: str(rc.form, "email") } : {}),
          ...(type === "human" && str(rc.form, "display_name") ? { display_name: str(rc.form, "display_name") } : {}),
        });
        return rc.redirect(`/accounts/${a.id}?notice=created`);
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
      method: "POST", path: "/accounts/:id/profile", opts: { back },
      handler: (rc) => {
        s.accounts.updateProfile(rc.ctx, rc.params.id ?? "", { email: str(rc.form, "email") || null, display_name: str(rc.form, "display_name") || null });
        return done(rc, "profile");
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

  function detail(rc: Rc, a: AccountView) {
    const p = rc.principal;
    const res = { type: "account" as const, id: a.id, owner_id: a.id, tags: a.tags, service: a.account_type === "system" ? a.username : undefined };
    const can = (action: Parameters<typeof allowed>[2]) => allowed(s, p, action, res);
    const base = `/accounts/${a.id}`;
    const live = a.status !== "deleted";
    let tokens: ReturnType<typeof s.tokens.list> | null = null;
    try {
      tokens = s.tokens.list(rc.ctx, a.id);
    } catch { /* not allowed to see tokens: section hidden */ }
    return html`<p><a href="/accounts">← Accounts</a></p>
<h1>${a.username} ${statusBadge(a.status)}</h1>
<div class="card"><dl class="props">
<dt>ID</dt><dd class="mono">${a.id}</dd><dt>Type</dt><dd>${a.account_type}</dd>
<dt>Two-factor</dt><dd>${a.totp_enabled ? badge("on", "ok") : badge("off")}</dd>
${a.account_type === "human" ? html`<dt>Name</dt><dd>${a.display_name ?? html`<span class="muted">—</span>`}</dd><dt>Email</dt><dd>${a.email ?? html`<span class="muted">—</span>`}</dd>` : ""}
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

${accountOnboardingSections(deps, rc, a)}

${live && a.account_type === "human" && can("accounts:update") ? html`<h2>Name and email</h2><div class="card">
${postForm(`${base}/profile`, rc.csrf, html`${field({ name: "display_name", label: "Display name", value: a.display_name ?? "", id: "set-display-name", autocomplete: "off" })}${field({ name: "email", label: "Email", type: "email", value: a.email ?? "", id: "set-email", autocomplete: "off" })}<button type="submit">Save</button>`, { cls: "inline", label: "Name and email" })}</div>` : ""}

${live && a.account_type === "human" && can("accounts:update") ? html`<h2>Password</h2><div class="card">
${postForm(`${base}/password`, rc.csrf, html`${field({ name: "password", label: "New password", type: "password", required: true, hint: "12–256 characters. The account's tokens are revoked.", id: "reset-password", autocomplete: "new-password" })}<button type="submit">Reset password</button>`, { cls: "inline", label: "Reset password" })}</div>` : ""}

${live && a.totp_enabled && can("totp:remove") ? html`<h2>Two-factor</h2><div class="card">
${actionButton(`${base}/totp/remove`, rc.csrf, "Remove TOTP", { cls: "danger", confirm: "Remove this account's TOTP? It can then sign in with the password alone." })}</div>` : ""}

${tokens ? html`<h2>Tokens</h2>${table(["JTI", "Issued", "Expires", "Revoked", ""], tokens.map((t) => html`<tr>
<td class="mono">${t.jti}</td><td>${time(t.issued_at)}</td><td>${time(t.expires_at)}</td><td>${t.revoked_at ? time(t.revoked_at) : badge("valid", "ok")}</td>
<td>${!t.revoked_at && allowed(s, p, "tokens:revoke", { ...res, type: "token" }) ? actionButton(`${base}/tokens/revoke`, rc.csrf, "Revoke", { hidden: { jti: t.jti }, confirm: "Revoke this token?" }) : ""}</td></tr>`), "No tokens issued.", "Tokens")}` : ""}`;
  }
}
