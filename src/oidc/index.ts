/**
 * The OpenID Connect face (SPEC §16): discovery at the issuer's
 * /.well-known/openid-configuration and everything else under /oidc/ on the same
 * HTTPS port, answered by oidc-provider through the Fetch <-> node bridge.
 *
 * Interactions (login, consent) go to MCIAS's own login page: /oidc/interaction/<uid>
 * looks for the console session (cookie mcias_session, verified by the token service);
 * without one it sends the browser to /login?oidc=<uid>, which comes back here after a
 * password (+ TOTP) or passkey sign-in. The role check and the oidc_login audit row
 * happen in the OIDC service; consent is implied (every client is admin-registered).
 */
import type Provider from "oidc-provider";
import { AppError } from "../errors";
import { errorResponse } from "../http/errorResponse";
import { clientIpOf } from "../http/requestInfo";
import type { Logger } from "../log";
import type { Ctx, Services } from "../services";
import type * as Bridge from "./bridge";
import { page } from "./pages";
import { buildProvider, DISCOVERY_PATH, loadProviderModule, OIDC_PREFIX, type ProviderModule } from "./provider";

const SESSION_COOKIE = "mcias_session";
const INTERACTION_RE = /^\/oidc\/interaction\/([A-Za-z0-9_-]{1,64})$/;

function sessionToken(req: Request): string | null {
  for (const part of (req.headers.get("cookie") ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === SESSION_COOKIE) return part.slice(i + 1).trim() || null;
  }
  return null;
}

const redirect = (location: string) => new Response(null, { status: 303, headers: { location, "cache-control": "no-store" } });
const htmlResponse = (body: string, status = 200) =>
  new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });

/** Route templates of the OIDC face, for metrics labels (it is not an Elysia app). */
export const OIDC_ROUTE_TEMPLATES = [
  { method: "GET", path: DISCOVERY_PATH },
  ...["/auth", "/auth/:uid", "/userinfo", "/session/end", "/session/end/confirm", "/session/end/success"].map((p) => ({ method: "ALL", path: `${OIDC_PREFIX}${p}` })),
  ...["/token", "/token/revocation"].map((p) => ({ method: "POST", path: `${OIDC_PREFIX}${p}` })),
  { method: "GET", path: `${OIDC_PREFIX}/jwks` },
  { method: "GET", path: `${OIDC_PREFIX}/interaction/:uid` },
] as const;

export function isOidcPath(path: string): boolean {
  return path === DISCOVERY_PATH || path === OIDC_PREFIX || path.startsWith(`${OIDC_PREFIX}/`);
}

export function createOidc(s: Services, log: Logger) {
  let current: { version: number; provider: Provider; handler: ReturnType<Provider["callback"]> } | null = null;
  // The provider holds the private signing keys: drop it the moment the vault seals.
  s.oidc.provider.onSeal(() => { current = null; });

  // oidc-provider and the Fetch <-> node bridge (fetch-to-node) load on the first OIDC
  // request: a server nobody signs in to through OIDC never holds them in memory.
  let modules: Promise<[ProviderModule, typeof Bridge]> | null = null;

  async function provider() {
    const [mod, bridge] = await (modules ??= Promise.all([loadProviderModule(), import("./bridge")]));
    const keyset = s.oidc.provider.keyset();
    if (!current || current.version !== keyset.version) {
      const p = buildProvider(mod, s, keyset, log);
      current = { version: keyset.version, provider: p, handler: p.callback() };
    }
    return { ...current, bridge };
  }

  async function interaction(req: Request, uid: string, ip: string | null): Promise<Response> {
    const { provider: p, bridge } = await provider();
    const node = bridge.toNode(req, ip);
    let details;
    try {
      details = await p.interactionDetails(node.req, node.res);
    } catch {
      return htmlResponse(page("Sign-in expired", `<h1>Sign-in expired</h1><p>This sign-in request is unknown or has expired. Go back to the application and start again.</p>`), 400);
    }
    if (details.uid !== uid) return htmlResponse(page("Sign-in expired", `<h1>Sign-in expired</h1><p>Start again from the application.</p>`), 400);
    const jwt = sessionToken(req);
    const principal = jwt ? await s.tokens.authenticate(jwt).catch(() => null) : null;
    if (!principal) {
      // Arriving from the application's site, the browser withholds the SameSite=Strict
      // console cookie; one same-site hop (a meta refresh, no script) lets a signed-in
      // user through without typing the password again.
      if (new URL(req.url).searchParams.get("r") !== "1") {
        const next = `${OIDC_PREFIX}/interaction/${uid}?r=1`;
        return htmlResponse(page("Signing in", `<meta http-equiv="refresh" content="0;url=${next}"><h1>Signing in…</h1><p><a href="${next}">Continue</a></p>`));
      }
      return redirect(`/login?oidc=${encodeURIComponent(uid)}`);
    }
    const clientId = typeof details.params.client_id === "string" ? details.params.client_id : "";
    const ctx: Ctx = { ip, principal };
    let result: Record<string, unknown>;
    if (!s.oidc.provider.authorizeLogin(ctx, principal, clientId)) {
      result = { error: "access_denied", error_description: "this account may not sign in to this application" };
    } else {
      // An existing grant is reused only when it is this person's (the browser may hold
      // another person's provider session).
      const found = details.grantId ? await p.Grant.find(details.grantId) : undefined;
      const grant = found && found.accountId === principal.id && found.clientId === clientId ? found : undefined;
      const g = grant ?? new p.Grant({ accountId: principal.id, clientId });
      const scope = typeof details.params.scope === "string" ? details.params.scope : "openid";
      g.addOIDCScope(scope);
      const missing = (details.prompt.details as { missingOIDCClaims?: string[] }).missingOIDCClaims;
      if (missing?.length) g.addOIDCClaims(missing);
      const grantId = await g.save();
      // Another person's provider session on this browser (the console changed hands):
      // end it here, so the provider starts a fresh one for this person instead of its
      // own account-switch page (a self-submitting form with inline script, which CSP
      // forbids).
      if (details.session?.uid && details.session.accountId !== principal.id) {
        s.oidc.provider.endSessionByUid(details.session.uid);
        delete details.session;
        await details.save(Math.max(1, details.exp - Math.floor(Date.now() / 1000)));
      }
      result = { login: { accountId: principal.id }, consent: { grantId } };
    }
    const returnTo = await p.interactionResult(node.req, node.res, result, { mergeWithLastSubmission: false });
    return redirect(returnTo);
  }

  return {
    matches: isOidcPath,
    async handle(req: Request): Promise<Response> {
      try {
        return await dispatch(req);
      } catch (e) {
        if (e instanceof AppError) return errorResponse(e.code, e.message);
        throw e;
      }
    },
  };

  async function dispatch(req: Request): Promise<Response> {
      if (s.oidc.provider.isSealed()) return errorResponse("vault_sealed", "vault is sealed");
      const ip = clientIpOf(req);
      const path = new URL(req.url).pathname;
      const m = INTERACTION_RE.exec(path);
      if (m && req.method === "GET") return interaction(req, m[1]!, ip);
      const { handler, bridge } = await provider();
      const node = bridge.toNode(req, ip);
      handler(node.req, node.res);
      const res = await bridge.toResponse(node.res);
      // CSP form-action 'self' blocks a form post's redirect to another origin (the logout
      // confirmation's return to the application): hand it over as a fresh navigation.
      const location = res.headers.get("location");
      if (req.method === "POST" && res.status >= 300 && res.status < 400 && location && !location.startsWith("/")) {
        const safe = location.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
        return htmlResponse(page("Continue", `<meta http-equiv="refresh" content="0;url=${safe}"><h1>Signed out</h1><p><a href="${safe}">Back to the application</a></p>`));
      }
      return res;
  }
}

export type OidcFace = ReturnType<typeof createOidc>;
