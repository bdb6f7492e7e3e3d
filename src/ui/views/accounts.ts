/**
 * Markup of the account pages, from a plain model: what to show and which buttons the
 * caller may use (decided by the page module with `may`, never here).
 */
import type { AccountView, TokenView } from "../../services/views";
import { html, type Html } from "../html";
import { actionButton, badge, field, postForm, select, statusBadge, table, time } from "../layout";

/** A refused new-account form: what was typed (never the password) and why, by field. */
export interface NewAccountForm {
  values: { username: string; account_type: string; roles: string; display_name?: string; email?: string };
  errors: { field: string | null; message: string };
  status: number;
}

export function accountListView(m: { rows: AccountView[]; csrf: string; status?: string; type?: string; mayCreate: boolean; form?: NewAccountForm }): Html {
  const { rows, status, type, form } = m;
  const canCreate = m.mayCreate;
  const err = (name: string) => (form?.errors.field === name ? form.errors.message : null);
  const v = form?.values;
  const rc = { csrf: m.csrf };
  return html`<h1>Accounts</h1>
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
${field({ name: "display_name", label: "Display name", hint: "Humans only; optional.", id: "new-display-name", autocomplete: "off", value: v?.display_name, error: err("display_name") })}
${field({ name: "email", label: "Email", type: "email", hint: "Humans only; optional.", id: "new-email", autocomplete: "off", value: v?.email, error: err("email") })}
${select({ name: "account_type", label: "Type", options: [["human", "human (signs in with a password)"], ["system", "system (service, uses tokens)"]], id: "new-type", value: v?.account_type })}
${field({ name: "password", label: "Password", type: "password", hint: "Humans only; 12–256 characters. Leave empty and send an invite link instead: the person then chooses their own.", id: "new-password", autocomplete: "new-password", error: err("password") })}
${field({ name: "roles", label: "Roles", hint: "Optional, comma separated.", id: "new-roles", autocomplete: "off", value: v?.roles, error: err("roles") })}
<div><button type="submit">Create account</button></div>`, { label: "New account" })}</div>` : ""}`;
}

export interface AccountDetailModel {
  account: AccountView;
  csrf: string;
  /** null: the caller may not list them (section hidden). */
  tokens: TokenView[] | null;
  may: { update: boolean; delete: boolean; roles: boolean; tags: boolean; removeTotp: boolean; revokeTokens: boolean };
  /** A refused form on this page: shown beside its field, with what was typed. */
  error?: FormError;
  /** Onboarding (invite link, passkeys, recovery codes; SPEC §15), rendered by its own page module. */
  onboarding?: Html;
}

/** The input (by id) a refusal is about, its message, and the values to show again (by input id; never a password). */
export interface FormError { field: string; message: string; values: Record<string, string> }

/** Options for `field` that show a refusal beside the input `id` and keep what was typed. */
export function refusal(e: FormError | undefined, id: string): { error?: string; value?: string } {
  if (!e) return {};
  const value = e.values[id];
  return { ...(e.field === id ? { error: e.message } : {}), ...(value !== undefined ? { value } : {}) };
}

export function accountDetailView(m: AccountDetailModel): Html {
  const a = m.account;
  const base = `/accounts/${a.id}`;
  const live = a.status !== "deleted";
  const tokens = m.tokens;
  const rc = { csrf: m.csrf };
  const canRevoke = m.may.revokeTokens;
  const can = (what: "accounts:update" | "accounts:delete" | "roles:write" | "tags:write" | "totp:remove"): boolean =>
    ({ "accounts:update": m.may.update, "accounts:delete": m.may.delete, "roles:write": m.may.roles, "tags:write": m.may.tags, "totp:remove": m.may.removeTotp })[what];
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
${live && can("roles:write") ? postForm(`${base}/roles`, rc.csrf, html`${field({ name: "role", label: "Grant role", required: true, id: "grant-role", autocomplete: "off", ...refusal(m.error, "grant-role") })}<button type="submit">Grant</button>`, { cls: "inline", label: "Grant role" }) : ""}
</div>

<h2>Tags</h2><div class="card">
${a.tags.length ? html`<p>${a.tags.map((t) => badge(t))}</p>` : html`<p class="empty">No tags.</p>`}
${live && can("tags:write") ? postForm(`${base}/tags`, rc.csrf, html`${field({ name: "tags", label: "Tags", value: a.tags.join(", "), hint: "key:value or plain words, comma separated; replaces the set.", id: "set-tags", autocomplete: "off", ...refusal(m.error, "set-tags") })}<button type="submit">Save tags</button>`, { cls: "inline", label: "Tags" }) : ""}
</div>

${m.onboarding ?? ""}

${live && a.account_type === "human" && can("accounts:update") ? html`<h2>Name and email</h2><div class="card">
${postForm(`${base}/profile`, rc.csrf, html`${field({ name: "display_name", label: "Display name", value: a.display_name ?? "", id: "set-display-name", autocomplete: "off", ...refusal(m.error, "set-display-name") })}${field({ name: "email", label: "Email", type: "email", value: a.email ?? "", id: "set-email", autocomplete: "off", ...refusal(m.error, "set-email") })}<button type="submit">Save</button>`, { cls: "inline", label: "Name and email" })}</div>` : ""}

${live && a.account_type === "human" && can("accounts:update") ? html`<h2>Password</h2><div class="card">
${postForm(`${base}/password`, rc.csrf, html`${field({ name: "password", label: "New password", type: "password", required: true, hint: "12–256 characters. The account's tokens are revoked.", id: "reset-password", autocomplete: "new-password", ...refusal(m.error, "reset-password") })}<button type="submit">Reset password</button>`, { cls: "inline", label: "Reset password" })}</div>` : ""}

${live && a.totp_enabled && can("totp:remove") ? html`<h2>Two-factor</h2><div class="card">
${actionButton(`${base}/totp/remove`, rc.csrf, "Remove TOTP", { cls: "danger", confirm: "Remove this account's TOTP? It can then sign in with the password alone." })}</div>` : ""}

${tokens ? html`<h2>Tokens</h2>${table(["JTI", "Issued", "Expires", "Revoked", ""], tokens.map((t) => html`<tr>
<td class="mono">${t.jti}</td><td>${time(t.issued_at)}</td><td>${time(t.expires_at)}</td><td>${t.revoked_at ? time(t.revoked_at) : badge("valid", "ok")}</td>
<td>${!t.revoked_at && canRevoke ? actionButton(`${base}/tokens/revoke`, rc.csrf, "Revoke", { hidden: { jti: t.jti }, confirm: "Revoke this token?" }) : ""}</td></tr>`), "No tokens issued.", "Tokens")}` : ""}`;
}
