/**
 * Single sign-on for apps behind a reverse proxy (SPEC §16): the forward-auth decision,
 * the safe return address after sign-in, and the apps a user may open. The HTTP face
 * (src/api/routes/forwardAuth.ts) only reads headers and writes this answer.
 *
 * Cheap by design: it runs on every request of every protected app. The token check is
 * the cached one every bearer route uses; the app lookup is a scan of the config; the
 * only write is the audit row of a denial.
 */
import { AppError } from "../errors";
import type { AccountRow } from "../store/accounts";
import type { AuditService } from "./audit";
import type { Authz } from "./authz";
import { appResource, findApp, findAppsForPath } from "./apps";
import type { Ctx, Principal, ServiceDeps } from "./context";
import type { createTokenService } from "./tokens";

export interface ForwardAuthRequest {
  /** The client's IP (already resolved through trusted proxies). */
  ip: string | null;
  /** Session cookie value or bearer token, if any. */
  token: string | null;
  /** The URL the user asked the proxy for; null when the proxy did not say (or is not trusted). */
  original: URL | null;
  /** The original request came from a browser (it accepts text/html). */
  browser: boolean;
  /** nginx `auth_request` (X-Original-URL): it can only pass 2xx/401/403, so a redirect travels as 401 + Location. */
  nginx: boolean;
}

export type ForwardAuthAnswer =
  | { status: 200; headers: Record<string, string> }
  | { status: 302 | 401; location?: string }
  | { status: 403; who?: string; portal?: string };

export interface AppLink { name: string; url: string }

export function createSsoService(deps: ServiceDeps, audit: AuditService, authz: Authz, tokens: ReturnType<typeof createTokenService>) {
  const { config, store } = deps;
  const sso = config.sso;

  /** Only https URLs on hosts under the cookie domain (or the portal itself): never an open redirect. */
  function safeRedirect(rd: string | null | undefined): string | null {
    if (!rd || rd.length > 2048) return null;
    let u: URL;
    try {
      u = new URL(rd);
    } catch {
      return null;
    }
    if (u.protocol !== "https:" || u.username || u.password) return null;
    const host = u.hostname.toLowerCase();
    const portalHost = new URL(sso.portalUrl).hostname;
    const underDomain = sso.cookieDomain !== undefined && (host === sso.cookieDomain || host.endsWith(`.${sso.cookieDomain}`));
    return underDomain || host === portalHost ? u.href : null;
  }

  function loginUrl(original: URL): string {
    return `${sso.portalUrl}/login?rd=${encodeURIComponent(original.href)}`;
  }

  /** `account` is the row the token check read (no lookup here): display name and email of SPEC §15. */
  function identityHeaders(p: Principal, account: Readonly<AccountRow>): Record<string, string> {
    // Header values must be one line of visible ASCII-safe text: usernames and roles are; names and emails are checked.
    const clean = (v: string | null | undefined) => (v && /^[\x20-\x7e]{1,256}$/.test(v) ? v : "");
    return {
      "Remote-User": p.username,
      "Remote-Name": clean(account.display_name) || p.username,
      "Remote-Email": clean(account.email),
      "Remote-Groups": p.roles.join(","),
    };
  }

  return {
    safeRedirect,

    async forwardAuth(req: ForwardAuthRequest): Promise<ForwardAuthAnswer> {
      if (!req.original) throw new AppError("bad_request", "forward-auth needs X-Forwarded-Host and X-Forwarded-Uri (or X-Original-URL) from a proxy listed in server.trusted_proxies");
      // Every reading of the path (apps.ts pathReadings) must name an app entry, and the
      // decision below must allow each distinct one; `app` is the entry as sent.
      const entries = findAppsForPath(sso.apps, req.original.hostname.toLowerCase(), req.original.pathname);
      const app = entries.find((e) => e !== null) ?? null;
      let principal: Principal | null = null;
      let account: Readonly<AccountRow> | null = null;
      if (req.token) {
        try {
          ({ principal, account } = await tokens.authenticateWithAccount(req.token));
        } catch (e) {
          if (e instanceof AppError && e.code === "vault_sealed") throw e;
          principal = null;
        }
      }
      // A token minted for an audience (SPEC §18) opens only the app of that name: a
      // token a friend handed to one app cannot be replayed at another. The console
      // session (no aud) opens every app its holder may open.
      if (principal?.audience !== undefined && principal.audience !== app?.host) principal = null;
      if (!principal) {
        // No app is behind an unknown host: nothing to sign in for.
        if (!app) return { status: 403 };
        if (!req.browser) return { status: 401 };
        const location = loginUrl(req.original);
        return req.nginx ? { status: 401, location } : { status: 302, location };
      }
      const ctx: Ctx = { ip: req.ip, principal };
      let d: ReturnType<typeof authz.decide> | null = null;
      for (const e of app && entries.every((x) => x !== null) ? new Set(entries) : [null]) {
        d = e ? authz.decide(principal, "apps:access", appResource(e)) : null;
        if (!d || d.effect !== "allow") break;
      }
      if (!d || d.effect !== "allow") {
        store.tx(() => audit.record(ctx, "policy_deny", null, {
          action: "apps:access", resource_type: "app", app: app?.host ?? req.original!.hostname.toLowerCase().slice(0, 253),
          rule_id: d?.rule?.id ?? null,
        }));
        // Who is signed in and where the dashboard is, for the page a browser is shown
        // (Caddy and Traefik pass this answer's body on; nginx shows its own).
        return { status: 403, who: principal.username, portal: sso.portalUrl };
      }
      return { status: 200, headers: identityHeaders(principal, account!) };
    },

    /** The apps `p` may open, for the dashboard (one link per host). */
    appsFor(p: Principal): AppLink[] {
      const seen = new Set<string>();
      const out: AppLink[] = [];
      for (const app of sso.apps) {
        if (seen.has(app.host)) continue;
        const whole = findApp(sso.apps, app.host, "/");
        if (!whole) continue;
        if (authz.decide(p, "apps:access", appResource(whole)).effect !== "allow") continue;
        seen.add(app.host);
        out.push({ name: whole.name, url: `https://${app.host}/` });
      }
      return out;
    },

    /** The console session cookie's Domain attribute, when one is configured. */
    cookieDomain: () => sso.cookieDomain,
  };
}

export type SsoService = ReturnType<typeof createSsoService>;
