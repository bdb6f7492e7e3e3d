/** The dashboard: counts, recent events and vault state, as far as the caller may see. */
import { html } from "../html";
import { actionButton, badge } from "../layout";
import { may } from "../nav";
import { notice, type Route, type UiDeps } from "../routes";
import { auditTable } from "./common";
import { oidcGrantsSection } from "./oidc";

export function dashboardRoutes({ s }: UiDeps): Route[] {
  return [
    {
      method: "GET", path: "/",
      handler: (rc) => {
        const p = rc.principal;
        const me = s.auth.me(rc.ctx);
        const parts = [];
        if (may(s, p, "accounts:read", "account")) {
          const all = s.accounts.list(rc.ctx, {});
          const count = (f: (a: (typeof all)[number]) => boolean) => all.filter(f).length;
          parts.push(html`<section aria-labelledby="h-counts"><h2 id="h-counts">Accounts</h2><div class="grid">
<div class="card"><p class="stat">${count((a) => a.account_type === "human" && a.status === "active")}</p><p class="stat-label"><a href="/accounts?type=human&amp;status=active">Active people</a></p></div>
<div class="card"><p class="stat">${count((a) => a.account_type === "system" && a.status === "active")}</p><p class="stat-label"><a href="/accounts?type=system&amp;status=active">Active service accounts</a></p></div>
<div class="card"><p class="stat">${count((a) => a.status === "inactive")}</p><p class="stat-label"><a href="/accounts?status=inactive">Inactive</a></p></div>
<div class="card"><p class="stat">${count((a) => a.totp_enabled)}</p><p class="stat-label">With TOTP</p></div>
</div></section>`);
        }
        // SPEC §16: the apps behind forward-auth this person may open.
        const apps = s.sso.appsFor(p);
        if (apps.length) {
          parts.push(html`<section aria-labelledby="h-apps"><h2 id="h-apps">Your apps</h2><ul class="apps">
${apps.map((a) => html`<li><a href="${a.url}">${a.name}</a></li>`)}</ul></section>`);
        }
        parts.push(oidcGrantsSection(s, rc));
        const canSeal = may(s, p, "vault:seal", "vault");
        parts.push(html`<section aria-labelledby="h-vault"><h2 id="h-vault">Vault</h2><div class="card">
<p>State: ${s.vault.status().sealed ? badge("sealed", "off") : badge("unsealed", "ok")}</p>
${canSeal ? actionButton("/vault/seal", rc.csrf, "Seal the vault", { cls: "danger", confirm: "Seal the vault? Every request fails until someone unseals it." }) : ""}</div></section>`);
        if (may(s, p, "audit:read", "audit")) {
          const recent = s.auditQuery.query(rc.ctx, { limit: 10 });
          parts.push(html`<section aria-labelledby="h-recent"><h2 id="h-recent">Recent events</h2>${auditTable(recent.events, "No events yet.")}<p><a href="/audit">Full audit log</a></p></section>`);
        }
        return rc.render("Dashboard", html`<h1>Welcome, ${me.username}</h1>
<div class="card"><p>Signed in as <strong>${me.username}</strong> (${me.account_type}). Roles: ${me.roles.length ? me.roles.map((r) => badge(r)) : html`<span class="muted">none</span>`}.
Two-factor: ${me.totp_enabled ? badge("on", "ok") : html`${badge("off", "warn")} <a href="/profile">turn it on</a>`}</p></div>
${parts}`, { current: "/", notice: notice(rc) });
      },
    },
    {
      method: "POST", path: "/vault/seal", opts: { back: "/" },
      handler: (rc) => {
        s.vault.seal(rc.ctx);
        return rc.redirect("/unseal");
      },
    },
  ];
}
