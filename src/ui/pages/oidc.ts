/**
 * OpenID Connect in the console (SPEC §16): the admin's list of relying parties
 * (register with the secret shown once, rotate, delete) and, on every dashboard, the
 * applications the signed-in person has signed in to, each with a sign-out button.
 */
import type { OidcClientView } from "../../services/oidcProvider";
import { html, type Html } from "../html";
import type { Rc } from "../http";
import { actionButton, badge, field, postForm, secretBox, select, table, time } from "../layout";
import { list, notice, str, type Route, type UiDeps } from "../routes";

/** The dashboard section: the caller's OIDC grants, revocable. */
export function oidcGrantsSection(s: UiDeps["s"], rc: Rc): Html {
  const grants = s.oidc.grants.mine(rc.ctx);
  const rows = grants.map((g) => html`<tr><td>${g.client_name}</td><td>${time(g.created_at)}</td><td>${time(g.expires_at)}</td>
<td>${actionButton("/oidc-grants/revoke", rc.csrf, "Sign out", { hidden: { grant_id: g.grant_id }, confirm: `Sign out of ${g.client_name}? Its sessions and refresh tokens end.` })}</td></tr>`);
  return html`<section aria-labelledby="h-oidc-apps"><h2 id="h-oidc-apps">Applications you signed in to</h2>
${table(["Application", "Signed in", "Until", ""], rows, "You have not signed in to any application with MCIAS yet.", "Applications")}</section>`;
}

function clientRow(c: OidcClientView, csrf: string): Html {
  return html`<tr><td>${c.name}</td><td class="mono">${c.id}</td><td>${c.public ? badge("public") : badge("confidential")}</td>
<td>${c.id_token_alg}</td><td>${c.allowed_roles.length ? c.allowed_roles.map((r) => badge(r)) : html`<span class="muted">any account</span>`}</td>
<td class="mono">${c.redirect_uris.join(" ")}</td>
<td>${c.public ? "" : actionButton(`/oidc-clients/${c.id}/secret`, csrf, "New secret", { confirm: `Replace ${c.name}'s secret? The old one stops working at once.` })}
${actionButton(`/oidc-clients/${c.id}/delete`, csrf, "Delete", { cls: "small danger", confirm: `Delete ${c.name}? Everyone signed in to it through MCIAS is signed out.` })}</td></tr>`;
}

export function oidcRoutes({ s }: UiDeps): Route[] {
  const listPage = (rc: Rc, opts: { status?: number; error?: string } = {}) => {
    const clients = s.oidc.clients.list(rc.ctx);
    return rc.render("Applications", html`<h1>Applications (OpenID Connect)</h1>
<p>Apps that sign people in with MCIAS. Issuer: <code>${s.oidc.provider.issuer()}</code> (discovery at <code>/.well-known/openid-configuration</code>).</p>
${table(["Name", "Client ID", "Type", "ID token", "Allowed roles", "Redirect URIs", ""], clients.map((c) => clientRow(c, rc.csrf)), "No applications registered yet.", "Applications", true)}
<section aria-labelledby="h-new-app" class="card"><h2 id="h-new-app">Register an application</h2>
${postForm("/oidc-clients", rc.csrf, html`
${field({ name: "name", label: "Name", required: true, id: "oidc-name" })}
${field({ name: "redirect_uris", label: "Redirect URIs", required: true, hint: "Comma or space separated; https (http only for localhost).", id: "oidc-redirects" })}
${field({ name: "post_logout_redirect_uris", label: "Post-logout redirect URIs", hint: "Optional.", id: "oidc-post-logout" })}
${field({ name: "allowed_roles", label: "Allowed roles", hint: "Only accounts holding one of these may sign in; empty = any account.", id: "oidc-roles" })}
${select({ name: "id_token_alg", label: "ID token algorithm", options: [["EdDSA", "EdDSA (default)"], ["RS256", "RS256 (for apps that cannot verify EdDSA)"], ["ES256", "ES256"]], id: "oidc-alg" })}
${select({ name: "type", label: "Client type", options: [["confidential", "Confidential (has a secret)"], ["public", "Public (no secret, PKCE required)"]], id: "oidc-type" })}
<button type="submit">Register</button>`, { label: "Register an application" })}</section>`, { current: "/oidc-clients", notice: notice(rc), ...opts });
  };

  const secretPage = (rc: Rc, c: OidcClientView, secret: string | null) => rc.render("Application registered", html`<h1>${c.name}</h1><div class="card">
<dl class="props"><dt>Client ID</dt><dd class="mono">${c.id}</dd><dt>Issuer</dt><dd class="mono">${s.oidc.provider.issuer()}</dd></dl>
${secret ? html`<p class="warning" role="status">Copy the client secret now. It is shown only once.</p>${secretBox("oidc-secret", "Client secret", secret)}` : html`<p>A public client has no secret; it must use PKCE (S256).</p>`}
<p><a href="/oidc-clients">Done</a></p></div>`, { current: "/oidc-clients" });

  return [
    { method: "GET", path: "/oidc-clients", handler: (rc) => listPage(rc) },
    {
      method: "POST", path: "/oidc-clients", opts: { back: "/oidc-clients" },
      handler: (rc) => {
        const alg = str(rc.form, "id_token_alg");
        const r = s.oidc.clients.create(rc.ctx, {
          name: str(rc.form, "name"), redirect_uris: list(rc.form, "redirect_uris"),
          post_logout_redirect_uris: list(rc.form, "post_logout_redirect_uris"), allowed_roles: list(rc.form, "allowed_roles"),
          public: str(rc.form, "type") === "public", id_token_alg: (alg || "EdDSA") as OidcClientView["id_token_alg"],
        });
        return secretPage(rc, r.client, r.client_secret);
      },
    },
    {
      method: "POST", path: "/oidc-clients/:id/secret", opts: { back: "/oidc-clients" },
      handler: (rc) => {
        const r = s.oidc.clients.rotateSecret(rc.ctx, rc.params.id ?? "");
        return secretPage(rc, r.client, r.client_secret);
      },
    },
    {
      method: "POST", path: "/oidc-clients/:id/delete", opts: { back: "/oidc-clients" },
      handler: (rc) => {
        s.oidc.clients.remove(rc.ctx, rc.params.id ?? "");
        return rc.redirect("/oidc-clients?notice=oidc_client_deleted");
      },
    },
    {
      method: "POST", path: "/oidc-grants/revoke", opts: { back: "/" },
      handler: (rc) => {
        s.oidc.grants.revoke(rc.ctx, str(rc.form, "grant_id"));
        return rc.redirect("/?notice=oidc_grant_revoked");
      },
    },
  ];
}
