/**
 * Markup of the service-account pages, from a plain model: what to show and which
 * buttons the caller may use (decided by the page module with `may`, never here).
 */
import type { AccountView, TokenView } from "../../services/views";
import type { GrantView, PgCredListItem, PgCredView } from "../../services/views";
import { html, type Html } from "../html";
import { actionButton, badge, field, postForm, secretBox, statusBadge, table, time } from "../layout";
import { refusal, type FormError } from "./accounts";

export interface ServiceDetailModel {
  account: AccountView;
  csrf: string;
  /** null: the caller may not list them (section hidden). */
  tokens: TokenView[] | null;
  delegates: GrantView[] | null;
  grants: GrantView[] | null;
  /** The credential's metadata, or null when none is stored (or it may not be read). */
  cred: { host: string; port: number; database: string; username: string } | null;
  may: {
    issue: boolean; revoke: boolean; readCred: boolean; readPassword: boolean; writeCred: boolean;
    adminDelegates: boolean; settings: boolean;
  };
  /** A refused form on this page: shown beside its field, with what was typed. */
  error?: FormError;
}

export function serviceDetailView(m: ServiceDetailModel): Html {
  const a = m.account;
  const base = `/services/${a.id}`;
  const live = a.status === "active";
  const { tokens, delegates, grants, cred } = m;
  const csrf = m.csrf;
  return html`<p><a href="/services">← Service accounts</a></p>
<h1>${a.username} ${statusBadge(a.status)}</h1>
<div class="card"><dl class="props"><dt>ID</dt><dd class="mono">${a.id}</dd><dt>Created</dt><dd>${time(a.created_at)}</dd>
<dt>Tags</dt><dd>${a.tags.length ? a.tags.map((t) => badge(t)) : html`<span class="muted">none</span>`}</dd></dl>
${m.may.settings ? html`<p><a href="/accounts/${a.id}">Account settings →</a></p>` : ""}</div>

<h2 id="h-token">Token</h2><div class="card">
<p>A service account holds one valid token at a time: issuing a new one revokes the previous one.</p>
${m.may.issue ? actionButton(`${base}/token`, csrf, "Issue new token", { cls: "", confirm: "Issue a new token? The current one stops working at once." })
  : live ? html`<p class="muted" id="token-not-allowed">You may not issue this account's token.</p>` : html`<p class="muted">The account is not active.</p>`}
</div>
${tokens ? table(["JTI", "Issued", "Expires", "State", ""], tokens.map((t) => html`<tr><td class="mono">${t.jti}</td><td>${time(t.issued_at)}</td><td>${time(t.expires_at)}</td>
<td>${t.revoked_at ? html`revoked ${time(t.revoked_at)}` : badge("valid", "ok")}</td>
<td>${t.revoked_at || !m.may.revoke ? "" : actionButton(`${base}/tokens/revoke`, csrf, "Revoke", { hidden: { jti: t.jti }, confirm: "Revoke this token?" })}</td></tr>`), "No token issued yet.", "Tokens") : ""}

${delegates ? html`<h2 id="h-delegates">Delegates</h2>
<p class="muted">People allowed to issue and revoke this account's token.</p>
${table(["Account", "Since", ""], delegates.map((d) => html`<tr><td>${d.username}</td><td>${time(d.granted_at)}</td>
<td>${m.may.adminDelegates ? actionButton(`${base}/delegates/revoke`, csrf, "Remove", { hidden: { grantee_id: d.grantee_id } }) : ""}</td></tr>`), "No delegates.", "Delegates")}
${m.may.adminDelegates ? postForm(`${base}/delegates`, csrf, html`${field({ name: "grantee", label: "Add delegate", hint: "username or id of a human account", required: true, id: "delegate-grantee", autocomplete: "off", ...refusal(m.error, "delegate-grantee") })}<button type="submit">Add</button>`, { cls: "inline", label: "Add delegate" }) : ""}` : ""}

<h2 id="h-pg">Postgres credentials</h2><div class="card">
${!m.may.readCred ? html`<p class="muted" id="pg-not-allowed">You may not read this account's Postgres credentials.</p>`
  : cred ? html`<dl class="props"><dt>Host</dt><dd>${cred.host}:${cred.port}</dd><dt>Database</dt><dd>${cred.database}</dd><dt>User</dt><dd>${cred.username}</dd></dl>
${m.may.readPassword ? html`<p><a href="${base}/pgcreds">Show with password</a> <span class="hint">(audited)</span></p>` : html`<p class="hint">You may read the connection details, not the password.</p>`}`
  : html`<p class="empty">No Postgres credentials stored.</p>`}
${m.may.writeCred ? html`<details${cred && m.error?.field.startsWith("pg-") !== true ? "" : html` open`}><summary>${cred ? "Replace credentials" : "Store credentials"}</summary>${postForm(`${base}/pgcreds`, csrf, html`
${field({ name: "host", label: "Host", required: true, value: cred?.host, id: "pg-host", autocomplete: "off", ...refusal(m.error, "pg-host") })}
${field({ name: "port", label: "Port", type: "number", required: true, value: String(cred?.port ?? 5432), min: 1, max: 65535, id: "pg-port", ...refusal(m.error, "pg-port") })}
${field({ name: "database", label: "Database", required: true, value: cred?.database, id: "pg-database", autocomplete: "off", ...refusal(m.error, "pg-database") })}
${field({ name: "username", label: "Database user", required: true, value: cred?.username, id: "pg-username", autocomplete: "off", ...refusal(m.error, "pg-username") })}
${field({ name: "password", label: "Database password", type: "password", required: true, id: "pg-password", autocomplete: "new-password", hint: "Stored encrypted under the master key.", ...refusal(m.error, "pg-password") })}
<div><button type="submit">Save credentials</button></div>`, { label: "Postgres credentials" })}</details>` : ""}</div>

${grants ? html`<h3>Metadata access</h3><p class="muted">Accounts that may read the connection details (never the password).</p>
${table(["Account", "Since", ""], grants.map((g) => html`<tr><td>${g.username}</td><td>${time(g.granted_at)}</td>
<td>${actionButton(`${base}/pgcreds/access/revoke`, csrf, "Revoke", { hidden: { grantee_id: g.grantee_id } })}</td></tr>`), "Nobody else has access.", "Access grants")}
${postForm(`${base}/pgcreds/access`, csrf, html`${field({ name: "grantee", label: "Grant access to", hint: "username or id", required: true, id: "grant-grantee", autocomplete: "off", ...refusal(m.error, "grant-grantee") })}<button type="submit">Grant</button>`, { cls: "inline", label: "Grant access" })}` : ""}`;
}

/** The page that shows a freshly issued token once, with the copy button and the one-time download. */
export function issuedTokenView(a: AccountView, t: { token: string; jti: string; expires_at: string }, download: { nonce: string; expires_at: string }): Html {
  return html`<h1>New token for ${a.username}</h1><div class="card">
<p class="warning" role="status">Copy or download this token now. It is shown only once and cannot be retrieved later.</p>
${secretBox("issued-token", "Token", t.token)}
<p><a class="button secondary" id="token-download" href="/token/download/${download.nonce}" download="${a.username}.token" hx-boost="false">Download token file</a>
<span class="hint">One download, within 5 minutes (until ${time(download.expires_at)}).</span></p>
<dl class="props"><dt>JTI</dt><dd class="mono">${t.jti}</dd><dt>Expires</dt><dd>${time(t.expires_at)}</dd></dl>
<p><a href="/services/${a.id}">Done</a></p></div>`;
}

/** The service accounts the caller may manage. */
export function serviceListView(rows: AccountView[], mayCreate: boolean): Html {
  return html`<h1>Service accounts</h1>
${table(["Service", "Status", "Tags", "Created"], rows.map((a) => html`<tr><td><a href="/services/${a.id}">${a.username}</a></td><td>${statusBadge(a.status)}</td>
<td>${a.tags.map((t) => badge(t))}</td><td>${time(a.created_at)}</td></tr>`), "No service accounts you can manage.", "Service accounts")}
${mayCreate ? html`<p><a href="/accounts#h-new">Create a service account</a> (type “system”).</p>` : ""}`;
}

/** One credential (with its password when the caller may read it). */
export function pgcredView(id: string, c: PgCredView): Html {
  return html`<p><a href="/services/${id}">← Back</a></p><h1>Postgres credentials</h1><div class="card">
<dl class="props"><dt>Host</dt><dd>${c.host}</dd><dt>Port</dt><dd>${c.port}</dd><dt>Database</dt><dd>${c.database}</dd><dt>User</dt><dd>${c.username}</dd></dl>
${c.password !== undefined ? secretBox("pg-secret", "Password", c.password) : html`<p class="muted">You may read the connection details but not the password.</p>`}</div>`;
}

/** Every credential the caller may read. */
export function pgcredListView(rows: PgCredListItem[]): Html {
  return html`<h1>Postgres credentials</h1>
<p class="muted">Every credential you may read. Passwords are shown only on a credential's own page, to readers allowed to see them.</p>
${table(["Service", "Host", "Database", "User", ""], rows.map((c) => html`<tr><td>${c.service}</td><td>${c.host}:${c.port}</td><td>${c.database}</td><td>${c.username}</td>
<td><a href="/services/${c.account_id}/pgcreds">Open</a></td></tr>`), "No Postgres credentials you can read.", "Postgres credentials")}`;
}
