/**
 * Service (system) accounts: issue a token (shown once), token list, delegates,
 * Postgres credentials and their access grants. Also the /pgcreds overview.
 */
import { AppError } from "../../errors";
import type { Resource } from "../../policy";
import type { Ctx } from "../../services";
import type { AccountView } from "../../services/views";
import { html } from "../html";
import type { Rc } from "../http";
import { actionButton, badge, field, postForm, secretBox, statusBadge, table, time } from "../layout";
import { allowed } from "../nav";
import { notice, str, type Route, type UiDeps } from "../routes";


export function serviceRoutes({ s }: UiDeps): Route[] {
  const back = (rc: Rc) => `/services/${encodeURIComponent(rc.params.id ?? "")}`;
  const done = (rc: Rc, key: string) => rc.redirect(`${back(rc)}?notice=${key}`);

  /** A grantee named by id or username (a username lookup needs accounts:read on it). */
  function granteeId(ctx: Ctx, input: string): string {
    return s.accounts.resolve(ctx, input);
  }

  /** The system accounts this caller may manage: all (for who may list accounts) or those named by its roles. */
  function manageable(rc: Rc): AccountView[] {
    return s.serviceAccounts.listManageable(rc.ctx);
  }

  function resourceOf(a: AccountView, type: Resource["type"]): Resource {
    // The full facts (delegates, grantees) so a delegate sees the buttons it may use.
    return s.authz.accountResourceById(a.id, type) ?? { type, id: a.id, owner_id: a.id, service: a.username, tags: a.tags };
  }

  function detail(rc: Rc, a: AccountView) {
    const base = `/services/${a.id}`;
    const p = rc.principal;
    const live = a.status === "active";
    const tryGet = <T>(f: () => T): T | null => {
      try { return f(); } catch (e) { if (e instanceof AppError && (e.code === "forbidden" || e.code === "not_found")) return null; throw e; }
    };
    const tokens = tryGet(() => s.tokens.list(rc.ctx, a.id));
    const delegates = allowed(s, p, "delegates:read", resourceOf(a, "account")) ? tryGet(() => s.serviceAccounts.listDelegates(rc.ctx, a.id)) : null;
    const cred = s.pgcreds.list(rc.ctx).find((c) => c.account_id === a.id) ?? null;
    const grants = allowed(s, p, "pgcreds:grant", resourceOf(a, "pgcreds")) ? tryGet(() => s.pgcreds.listGrants(rc.ctx, a.id)) : null;
    const canWrite = allowed(s, p, "pgcreds:write", resourceOf(a, "pgcreds"));
    const canAdminDelegates = allowed(s, p, "delegates:write", resourceOf(a, "account"));
    return html`<p><a href="/services">← Service accounts</a></p>
<h1>${a.username} ${statusBadge(a.status)}</h1>
<div class="card"><dl class="props"><dt>ID</dt><dd class="mono">${a.id}</dd><dt>Created</dt><dd>${time(a.created_at)}</dd>
<dt>Tags</dt><dd>${a.tags.length ? a.tags.map((t) => badge(t)) : html`<span class="muted">none</span>`}</dd></dl>
${allowed(s, p, "accounts:update", resourceOf(a, "account")) ? html`<p><a href="/accounts/${a.id}">Account settings →</a></p>` : ""}</div>

<h2 id="h-token">Token</h2><div class="card">
<p>A service account holds one valid token at a time: issuing a new one revokes the previous one.</p>
${live ? actionButton(`${base}/token`, rc.csrf, "Issue new token", { cls: "", confirm: "Issue a new token? The current one stops working at once." }) : html`<p class="muted">The account is not active.</p>`}
</div>
${tokens ? table(["JTI", "Issued", "Expires", "State", ""], tokens.map((t) => html`<tr><td class="mono">${t.jti}</td><td>${time(t.issued_at)}</td><td>${time(t.expires_at)}</td>
<td>${t.revoked_at ? html`revoked ${time(t.revoked_at)}` : badge("valid", "ok")}</td>
<td>${t.revoked_at ? "" : actionButton(`${base}/tokens/revoke`, rc.csrf, "Revoke", { hidden: { jti: t.jti }, confirm: "Revoke this token?" })}</td></tr>`), "No token issued yet.", "Tokens") : ""}

${delegates ? html`<h2 id="h-delegates">Delegates</h2>
<p class="muted">People allowed to issue and revoke this account's token.</p>
${table(["Account", "Since", ""], delegates.map((d) => html`<tr><td>${d.username}</td><td>${time(d.granted_at)}</td>
<td>${canAdminDelegates ? actionButton(`${base}/delegates/revoke`, rc.csrf, "Remove", { hidden: { grantee_id: d.grantee_id } }) : ""}</td></tr>`), "No delegates.", "Delegates")}
${canAdminDelegates ? postForm(`${base}/delegates`, rc.csrf, html`${field({ name: "grantee", label: "Add delegate", hint: "username or id of a human account", required: true, id: "delegate-grantee", autocomplete: "off" })}<button type="submit">Add</button>`, { cls: "inline", label: "Add delegate" }) : ""}` : ""}

<h2 id="h-pg">Postgres credentials</h2><div class="card">
${cred ? html`<dl class="props"><dt>Host</dt><dd>${cred.host}:${cred.port}</dd><dt>Database</dt><dd>${cred.database}</dd><dt>User</dt><dd>${cred.username}</dd></dl>
<p><a href="${base}/pgcreds">Show with password</a> <span class="hint">(audited)</span></p>` : html`<p class="empty">No Postgres credentials stored.</p>`}
${canWrite ? html`<details${cred ? "" : html` open`}><summary>${cred ? "Replace credentials" : "Store credentials"}</summary>${postForm(`${base}/pgcreds`, rc.csrf, html`
${field({ name: "host", label: "Host", required: true, value: cred?.host, id: "pg-host", autocomplete: "off" })}
${field({ name: "port", label: "Port", type: "number", required: true, value: String(cred?.port ?? 5432), min: 1, max: 65535, id: "pg-port" })}
${field({ name: "database", label: "Database", required: true, value: cred?.database, id: "pg-database", autocomplete: "off" })}
${field({ name: "username", label: "Database user", required: true, value: cred?.username, id: "pg-username", autocomplete: "off" })}
${field({ name: "password", label: "Database password", type: "password", required: true, id: "pg-password", autocomplete: "new-password", hint: "Stored encrypted under the master key." })}
<div><button type="submit">Save credentials</button></div>`, { label: "Postgres credentials" })}</details>` : ""}</div>

${grants ? html`<h3>Metadata access</h3><p class="muted">Accounts that may read the connection details (never the password).</p>
${table(["Account", "Since", ""], grants.map((g) => html`<tr><td>${g.username}</td><td>${time(g.granted_at)}</td>
<td>${actionButton(`${base}/pgcreds/access/revoke`, rc.csrf, "Revoke", { hidden: { grantee_id: g.grantee_id } })}</td></tr>`), "Nobody else has access.", "Access grants")}
${postForm(`${base}/pgcreds/access`, rc.csrf, html`${field({ name: "grantee", label: "Grant access to", hint: "username or id", required: true, id: "grant-grantee", autocomplete: "off" })}<button type="submit">Grant</button>`, { cls: "inline", label: "Grant access" })}` : ""}`;
  }

  return [
    {
      method: "GET", path: "/services",
      handler: (rc) => {
        const rows = manageable(rc);
        return rc.render("Service accounts", html`<h1>Service accounts</h1>
${table(["Service", "Status", "Tags", "Created"], rows.map((a) => html`<tr><td><a href="/services/${a.id}">${a.username}</a></td><td>${statusBadge(a.status)}</td>
<td>${a.tags.map((t) => badge(t))}</td><td>${time(a.created_at)}</td></tr>`), "No service accounts you can manage.", "Service accounts")}
${allowed(s, rc.principal, "accounts:create", { type: "account" }) ? html`<p><a href="/accounts#h-new">Create a service account</a> (type “system”).</p>` : ""}`, { current: "/services", notice: notice(rc) });
      },
    },
    {
      method: "GET", path: "/services/:id",
      handler: (rc) => {
        const a = s.accounts.get(rc.ctx, rc.params.id ?? "");
        if (a.account_type !== "system") return rc.redirect(`/accounts/${a.id}`);
        return rc.render(a.username, detail(rc, a), { current: "/services", notice: notice(rc) });
      },
    },
    {
      method: "POST", path: "/services/:id/token", opts: { back },
      handler: async (rc) => {
        const t = await s.serviceAccounts.issueToken(rc.ctx, rc.params.id ?? "");
        const a = s.accounts.get(rc.ctx, rc.params.id ?? "");
        return rc.render("New token", html`<h1>New token for ${a.username}</h1><div class="card">
<p class="warning" role="status">Copy this token now. It is shown only once and cannot be retrieved later.</p>
${secretBox("issued-token", "Token", t.token)}
<dl class="props"><dt>JTI</dt><dd class="mono">${t.jti}</dd><dt>Expires</dt><dd>${time(t.expires_at)}</dd></dl>
<p><a href="/services/${a.id}">Done</a></p></div>`, { current: "/services" });
      },
    },
    {
      method: "POST", path: "/services/:id/tokens/revoke", opts: { back },
      handler: (rc) => {
        s.tokens.revoke(rc.ctx, str(rc.form, "jti"));
        return done(rc, "token_revoked");
      },
    },
    {
      method: "POST", path: "/services/:id/delegates", opts: { back },
      handler: (rc) => {
        s.serviceAccounts.grantDelegate(rc.ctx, rc.params.id ?? "", granteeId(rc.ctx, str(rc.form, "grantee")));
        return done(rc, "delegate_added");
      },
    },
    {
      method: "POST", path: "/services/:id/delegates/revoke", opts: { back },
      handler: (rc) => {
        s.serviceAccounts.revokeDelegate(rc.ctx, rc.params.id ?? "", str(rc.form, "grantee_id"));
        return done(rc, "delegate_removed");
      },
    },
    {
      method: "GET", path: "/services/:id/pgcreds", opts: { back },
      handler: (rc) => {
        const id = rc.params.id ?? "";
        const c = s.pgcreds.get(rc.ctx, id);
        return rc.render("Postgres credentials", html`<p><a href="/services/${id}">← Back</a></p><h1>Postgres credentials</h1><div class="card">
<dl class="props"><dt>Host</dt><dd>${c.host}</dd><dt>Port</dt><dd>${c.port}</dd><dt>Database</dt><dd>${c.database}</dd><dt>User</dt><dd>${c.username}</dd></dl>
${c.password !== undefined ? secretBox("pg-secret", "Password", c.password) : html`<p class="muted">You may read the connection details but not the password.</p>`}</div>`, { current: "/pgcreds" });
      },
    },
    {
      method: "POST", path: "/services/:id/pgcreds", opts: { back },
      handler: (rc) => {
        const port = Number(str(rc.form, "port"));
        s.pgcreds.set(rc.ctx, rc.params.id ?? "", {
          host: str(rc.form, "host"), port: Number.isInteger(port) ? port : -1, database: str(rc.form, "database"),
          username: str(rc.form, "username"), password: rc.form.get("password") ?? "",
        });
        return done(rc, "pgcreds_saved");
      },
    },
    {
      method: "POST", path: "/services/:id/pgcreds/access", opts: { back },
      handler: (rc) => {
        s.pgcreds.grant(rc.ctx, rc.params.id ?? "", granteeId(rc.ctx, str(rc.form, "grantee")));
        return done(rc, "grant_added");
      },
    },
    {
      method: "POST", path: "/services/:id/pgcreds/access/revoke", opts: { back },
      handler: (rc) => {
        s.pgcreds.revokeGrant(rc.ctx, rc.params.id ?? "", str(rc.form, "grantee_id"));
        return done(rc, "grant_removed");
      },
    },
    {
      method: "GET", path: "/pgcreds",
      handler: (rc) => {
        const rows = s.pgcreds.list(rc.ctx);
        return rc.render("Postgres credentials", html`<h1>Postgres credentials</h1>
<p class="muted">Every credential you may read. Passwords are shown only on a credential's own page, to readers allowed to see them.</p>
${table(["Service", "Host", "Database", "User", ""], rows.map((c) => html`<tr><td>${c.service}</td><td>${c.host}:${c.port}</td><td>${c.database}</td><td>${c.username}</td>
<td><a href="/services/${c.account_id}/pgcreds">Open</a></td></tr>`), "No Postgres credentials you can read.", "Postgres credentials")}`, { current: "/pgcreds", notice: notice(rc) });
      },
    },
  ];
}
