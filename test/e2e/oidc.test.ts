/**
 * The OpenID Connect provider (SPEC §16) against a real relying party nobody here
 * wrote: `openid-client` 6 drives code + PKCE through MCIAS's real login form in
 * Chromium, verifies the ID token against the JWKS, calls userinfo, refreshes, ends
 * the session. Then the refusals: wrong redirect_uri, missing and wrong PKCE
 * verifier, reused code, expired code, client secret mismatch, a user without the
 * client's role, a deactivated account's refresh token, a sealed vault.
 * Figures: login-to-callback latency and token endpoint throughput (printed).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as oidc from "openid-client";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { ADMIN_PASSWORD, createHuman, removeDir, runMcias, startServer, type TestServer } from "../helpers/server";

const CHROMIUM = "/usr/bin/chromium";
const CODE_TTL_S = 5;
const FRIEND_PASSWORD = "friend-password-12345";

let s: TestServer;
let issuer: string;
let browser: Browser;
let callback: ReturnType<typeof Bun.serve>;
let cbBase: string;
const waiting = new Map<string, (url: URL) => void>();

/** The OAuth error code of an openid-client failure (body error or WWW-Authenticate challenge). */
async function oauthError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const x = e as { error?: string; cause?: { parameters?: { error?: string } }[] | { error?: string } };
    if (typeof x.error === "string") return x.error;
    const c = x.cause;
    if (Array.isArray(c)) return c[0]?.parameters?.error ?? String(e);
    return c?.error ?? String(e);
  }
  return "no error";
}

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

const trace: string[] = [];

/** Resolves with the URL the browser lands on at the relying party's callback (by state); fails after 40 s with the navigation trace. */
function awaitCallback(state: string): Promise<URL> {
  trace.length = 0;
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no callback; browser went:\n${trace.join("\n")}\nserver:\n${s.logs().slice(-10).join("\n")}`)), 40_000);
    waiting.set(state, (u) => { clearTimeout(timer); res(u); });
  });
}

function rpFetch(ca: string): typeof fetch {
  return ((url: string | URL | Request, init?: RequestInit) => fetch(url, { ...init, tls: { ca } } as RequestInit)) as typeof fetch;
}

async function discover(clientId: string, secret: string | null, alg?: string): Promise<oidc.Configuration> {
  const meta: Partial<oidc.ClientMetadata> = alg ? { id_token_signed_response_alg: alg } : {};
  return oidc.discovery(new URL(issuer), clientId, meta, secret === null ? oidc.None() : oidc.ClientSecretBasic(secret), {
    [oidc.customFetch]: rpFetch(s.ca),
  });
}

async function createClient(body: Record<string, unknown>) {
  const r = await s.call("POST", "/v1/oidc/clients", { token: await s.adminToken(), json: body });
  expect(r.status).toBe(201);
  return r.body as { client: { id: string }; client_secret: string | null };
}

async function newPage(ctx: BrowserContext): Promise<Page> {
  const p = await ctx.newPage();
  p.setDefaultTimeout(30_000);
  p.on("response", (r) => { trace.push(`${r.status()} ${r.request().method()} ${r.url().slice(0, 100)}`); if (r.status() === 400) void r.text().then((t) => trace.push(t.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 300)), () => {}); });
  p.on("console", (m) => trace.push(`console: ${m.text().slice(0, 200)}`));
  return p;
}

/** Starts an authorization in the page; fills the MCIAS login form if it shows. Returns the callback URL. */
async function authorize(page: Page, config: oidc.Configuration, params: Record<string, string>, login?: { user: string; password: string }): Promise<URL> {
  const state = oidc.randomState();
  const landed = awaitCallback(state);
  const url = oidc.buildAuthorizationUrl(config, { scope: "openid profile email groups offline_access", ...params, state });
  // "commit": the sign-in passes a meta-refresh hop, which would otherwise count as a
  // second navigation interrupting this one.
  await page.goto(url.href, { waitUntil: "commit" });
  if (login) {
    await page.waitForSelector("#login-username");
    await page.fill("#login-username", login.user);
    await page.fill("#login-password", login.password);
    await page.click("button[type=submit]");
  }
  const url2 = await landed;
  // The callback server has answered; let the page finish arriving there, so the next
  // navigation in this page does not race this one.
  await page.waitForURL((u) => u.href.startsWith(cbBase), { waitUntil: "load" });
  return url2;
}

beforeAll(async () => {
  callback = Bun.serve({
    hostname: "127.0.0.1", port: 0,
    fetch(req) {
      const u = new URL(req.url);
      // The app's own page with a sign-in link: following it is a cross-site navigation.
      if (u.pathname === "/start") {
        const to = (u.searchParams.get("to") ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
        return new Response(`<html><body><a id="signin" href="${to}">Sign in with MCIAS</a></body></html>`, { headers: { "content-type": "text/html" } });
      }
      const st = u.searchParams.get("state");
      if (st && waiting.has(st)) {
        waiting.get(st)!(u);
        waiting.delete(st);
      }
      return new Response("callback reached", { headers: { "content-type": "text/plain" } });
    },
  });
  cbBase = `http://127.0.0.1:${callback.port}`;
  const port = freePort();
  issuer = `https://127.0.0.1:${port}`;
  s = await startServer({
    listen: `127.0.0.1:${port}`, sections: { tokens: `issuer = "${issuer}"` }, extraToml: `[oidc]\ncode_ttl = "${CODE_TTL_S}s"`,
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-default-apps", "--disable-sync"],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (s) {
    await s.stop();
    removeDir(s.dir);
  }
  callback?.stop(true);
}, 60_000);

describe("openid-client through the real login form", () => {
  let ctx: BrowserContext;
  let page: Page;
  let friendId: string;
  let pub: { client: { id: string } };
  let conf: { client: { id: string }; client_secret: string | null };
  let pubConfig: oidc.Configuration;
  let confConfig: oidc.Configuration;
  let refreshToken: string;
  let idToken: string;

  beforeAll(async () => {
    friendId = await createHuman(s, "friend", FRIEND_PASSWORD, ["photos"]);
    // SPEC §15 profile fields feed the name and email claims.
    const prof = await s.call("PATCH", `/v1/accounts/${friendId}`, { token: await s.adminToken(), json: { email: "Friend@Example.com", display_name: "Fran Friend" } });
    expect(prof.status).toBe(200);
    ctx = await browser.newContext({ ignoreHTTPSErrors: true });
    page = await newPage(ctx);
    pub = await createClient({ name: "Photos SPA", public: true, redirect_uris: [`${cbBase}/cb`], post_logout_redirect_uris: [`${cbBase}/bye`] });
    conf = await createClient({ name: "Wiki", redirect_uris: [`${cbBase}/cb`], allowed_roles: ["photos"] });
    pubConfig = await discover(pub.client.id, null);
    confConfig = await discover(conf.client.id, conf.client_secret);
  }, 60_000);
  afterAll(() => ctx?.close());

  test("discovery is at the issuer and names the endpoints", async () => {
    const r = await s.call("GET", "/.well-known/openid-configuration");
    expect(r.status).toBe(200);
    expect(r.body.issuer).toBe(issuer);
    expect(r.body.code_challenge_methods_supported).toEqual(["S256"]);
    expect(r.body.id_token_signing_alg_values_supported).toContain("EdDSA");
    expect(r.body.claims_supported).toEqual(expect.arrayContaining(["sub", "preferred_username", "name", "email", "email_verified", "groups"]));
    expect(pubConfig.serverMetadata().token_endpoint).toBe(`${issuer}/oidc/token`);
  });

  test("code + PKCE through the login form; ID token verifies against the JWKS; userinfo; refresh", async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const t0 = performance.now();
    const landed = await authorize(page, pubConfig, {
      redirect_uri: `${cbBase}/cb`, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256",
    }, { user: "friend", password: FRIEND_PASSWORD });
    const ms = performance.now() - t0;
    console.log(`[figure] browser: authorize -> login form -> callback: ${ms.toFixed(0)} ms (includes one Argon2id verify)`);
    const tokens = await oidc.authorizationCodeGrant(pubConfig, landed, { pkceCodeVerifier: verifier, expectedState: landed.searchParams.get("state")! });
    expect(tokens.id_token).toBeString();
    idToken = tokens.id_token!;
    expect(decodeProtectedHeader(idToken).alg).toBe("EdDSA");
    const jwks = await (await s.fetch("/oidc/jwks")).json() as { keys: import("jose").JWK[] };
    const { payload } = await jwtVerify(idToken, createLocalJWKSet(jwks), { issuer, audience: pub.client.id });
    expect(payload.sub).toBe(friendId);
    expect(payload.preferred_username).toBe("friend");
    expect(payload.groups).toEqual(["photos"]);
    expect(payload.name).toBe("Fran Friend");
    expect(String(payload.email).toLowerCase()).toBe("friend@example.com");
    expect(payload.email_verified).toBe(true);
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(friendId);

    const info = await oidc.fetchUserInfo(pubConfig, tokens.access_token, friendId);
    expect(info.preferred_username).toBe("friend");
    expect(info.name).toBe("Fran Friend");
    expect(String(info.email).toLowerCase()).toBe("friend@example.com");
    expect(info.groups).toEqual(["photos"]);

    expect(tokens.refresh_token).toBeString();
    const refreshed = await oidc.refreshTokenGrant(pubConfig, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).toBeString();
    refreshToken = refreshed.refresh_token!;
    // Public clients' refresh tokens rotate: the old one is spent.
    expect(await oauthError(oidc.refreshTokenGrant(pubConfig, tokens.refresh_token!))).toBe("invalid_grant");
    // The login is audited.
    const audit = await s.call("GET", "/v1/audit?type=oidc_login", { token: await s.adminToken() });
    expect(audit.body.events.length).toBeGreaterThanOrEqual(1);
  }, 90_000);

  test("the grant is listed for the friend and can be revoked (its refresh token dies)", async () => {
    // A second authorization to get a refresh token to kill.
    const verifier = oidc.randomPKCECodeVerifier();
    const landed = await authorize(page, pubConfig, { redirect_uri: `${cbBase}/cb`, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256" });
    const tokens = await oidc.authorizationCodeGrant(pubConfig, landed, { pkceCodeVerifier: verifier, expectedState: landed.searchParams.get("state")! });
    const friendTok = await s.login("friend", FRIEND_PASSWORD);
    const grants = await s.call("GET", "/v1/oidc/grants", { token: friendTok });
    expect(grants.status).toBe(200);
    const g = (grants.body as { grant_id: string; client_id: string; client_name: string }[]).find((x) => x.client_id === pub.client.id);
    expect(g?.client_name).toBe("Photos SPA");
    // Someone else cannot revoke it.
    await createHuman(s, "mallory", "mallory-password-123");
    const mal = await s.login("mallory", "mallory-password-123");
    expect((await s.call("DELETE", `/v1/oidc/grants/${g!.grant_id}`, { token: mal })).status).toBe(404);
    expect((await s.call("DELETE", `/v1/oidc/grants/${g!.grant_id}`, { token: friendTok })).status).toBe(204);
    expect(await oauthError(oidc.refreshTokenGrant(pubConfig, tokens.refresh_token!))).toBe("invalid_grant");
    // The earlier refresh token belonged to the same grant (one grant per account and client).
    expect(await oauthError(oidc.refreshTokenGrant(pubConfig, refreshToken))).toBe("invalid_grant");
  }, 90_000);

  test("console: the friend's dashboard lists the application and signs out of it", async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const landed = await authorize(page, pubConfig, { redirect_uri: `${cbBase}/cb`, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256" });
    const tokens = await oidc.authorizationCodeGrant(pubConfig, landed, { pkceCodeVerifier: verifier, expectedState: landed.searchParams.get("state")! });
    await page.goto(`${issuer}/`);
    const section = page.locator("section[aria-labelledby=h-oidc-apps]");
    expect(await section.textContent()).toContain("Photos SPA");
    page.once("dialog", (d) => void d.accept());
    await section.locator("button", { hasText: "Sign out" }).first().click();
    await page.waitForSelector("text=Signed out of the application.");
    expect(await page.locator("section[aria-labelledby=h-oidc-apps]").textContent()).toContain("not signed in to any application");
    expect(await oauthError(oidc.refreshTokenGrant(pubConfig, tokens.refresh_token!))).toBe("invalid_grant");
    expect(trace.filter((l) => l.includes("Content Security Policy"))).toEqual([]);
  }, 90_000);

  test("console: an admin registers an application and sees its secret once", async () => {
    const adminCtx = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const p = await newPage(adminCtx);
      await p.goto(`${issuer}/login`);
      await p.fill("#login-username", "admin");
      await p.fill("#login-password", ADMIN_PASSWORD);
      await p.click("button[type=submit]");
      await p.waitForURL(`${issuer}/`);
      await p.click("nav >> text=Applications");
      await p.waitForSelector("#oidc-name");
      await p.fill("#oidc-name", "Gitea");
      await p.fill("#oidc-redirects", "https://git.example.com/user/oauth2/mcias/callback");
      await p.fill("#oidc-roles", "git");
      await p.selectOption("#oidc-alg", "RS256");
      await p.click("form[aria-label='Register an application'] button[type=submit]");
      await p.waitForSelector("#oidc-secret");
      const secret = (await p.textContent("#oidc-secret"))!.trim();
      expect(secret.length).toBeGreaterThan(30);
      await p.click("text=Done");
      await p.waitForURL(`${issuer}/oidc-clients`);
      await p.waitForSelector("td >> text=Gitea");
      expect(await p.content()).not.toContain(secret);
      // Single sign-on: signed in to the console, an app's sign-in goes straight through
      // (no login form), although the console cookie is SameSite=Strict.
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const arrived = awaitCallback(state);
      const authUrl = oidc.buildAuthorizationUrl(pubConfig, {
        scope: "openid profile", redirect_uri: `${cbBase}/cb`, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", state,
      });
      await p.goto(`${cbBase}/start?to=${encodeURIComponent(authUrl.href)}`);
      trace.length = 0;
      await p.click("#signin");
      const landed = await arrived;
      await p.waitForURL((u) => u.href.startsWith(cbBase), { waitUntil: "load" });
      expect(trace.filter((l) => l.includes("/login"))).toEqual([]);
      const t = await oidc.authorizationCodeGrant(pubConfig, landed, { pkceCodeVerifier: verifier, expectedState: landed.searchParams.get("state")! });
      expect(t.claims()?.preferred_username).toBe("admin");
      const listed = await s.call("GET", "/v1/oidc/clients", { token: await s.adminToken() });
      expect((listed.body as { name: string; id_token_alg: string }[]).some((c) => c.name === "Gitea" && c.id_token_alg === "RS256")).toBe(true);
      expect(trace.filter((l) => l.includes("Content Security Policy"))).toEqual([]);
    } finally {
      await adminCtx.close();
    }
  }, 90_000);

  test("end session: RP-initiated logout returns to the registered post-logout URI", async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const landed = await authorize(page, pubConfig, { redirect_uri: `${cbBase}/cb`, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256" });
    const tokens = await oidc.authorizationCodeGrant(pubConfig, landed, { pkceCodeVerifier: verifier, expectedState: landed.searchParams.get("state")! });
    const state = oidc.randomState();
    const bye = awaitCallback(state);
    const url = oidc.buildEndSessionUrl(pubConfig, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${cbBase}/bye`, state });
    await page.goto(url.href);
    await page.click("button[name=logout]");
    const back = await bye;
    expect(back.pathname).toBe("/bye");
    await page.waitForURL((u) => u.href.startsWith(`${cbBase}/bye`), { waitUntil: "load" });
    // The provider session is gone: the next authorization asks for a login again
    // (the console session still exists, so the interaction completes through it).
    const r = await ctx.request.get(`${issuer}/oidc/auth?client_id=${pub.client.id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(`${cbBase}/cb`)}&code_challenge=${await oidc.calculatePKCECodeChallenge(verifier)}&code_challenge_method=S256`, { maxRedirects: 0 });
    expect(r.status()).toBe(303);
    expect(r.headers().location).toContain("/oidc/interaction/");
  }, 90_000);

  test("confidential client: allowed role signs in; wrong secret is invalid_client", async () => {
    const landed = await authorize(page, confConfig, { redirect_uri: `${cbBase}/cb` });
    const code = landed.searchParams.get("code");
    expect(code).toBeString();
    const bad = await discover(conf.client.id, "not-the-secret");
    expect(await oauthError(oidc.authorizationCodeGrant(bad, landed, { expectedState: landed.searchParams.get("state")! }))).toBe("invalid_client");
    // The code was not spent by the failed client authentication? It may be; either way the
    // right secret on a fresh code works.
    const again = await authorize(page, confConfig, { redirect_uri: `${cbBase}/cb` });
    const tokens = await oidc.authorizationCodeGrant(confConfig, again, { expectedState: again.searchParams.get("state")! });
    expect(tokens.claims()?.preferred_username).toBe("friend");
  }, 90_000);

  test("refused: wrong redirect_uri (error page, no redirect)", async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(pubConfig, {
      redirect_uri: `${cbBase}/evil`, scope: "openid", code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256",
    });
    const r = await fetch(url, { redirect: "manual", tls: { ca: s.ca } } as RequestInit);
    expect(r.status).toBe(400);
    expect(r.headers.get("location")).toBeNull();
    expect(await r.text()).toContain("redirect_uri");
  });

  test("refused: a public client without PKCE, and a wrong PKCE verifier", async () => {
    const url = oidc.buildAuthorizationUrl(pubConfig, { redirect_uri: `${cbBase}/cb`, scope: "openid", state: "nopkce" });
    const r = await fetch(url, { redirect: "manual", tls: { ca: s.ca } } as RequestInit);
    expect(r.status).toBe(303);
    const loc = new URL(r.headers.get("location")!);
    expect(loc.searchParams.get("error")).toBe("invalid_request");
    expect(loc.searchParams.get("code")).toBeNull();

    const verifier = oidc.randomPKCECodeVerifier();
    const landed = await authorize(page, pubConfig, { redirect_uri: `${cbBase}/cb`, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256" });
    expect(await oauthError(oidc.authorizationCodeGrant(pubConfig, landed, { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: landed.searchParams.get("state")! })))
      .toBe("invalid_grant");
    // Missing verifier on the token request.
    const landed2 = await authorize(page, pubConfig, { redirect_uri: `${cbBase}/cb`, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256" });
    const raw = await s.fetch("/oidc/token", {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: landed2.searchParams.get("code")!, redirect_uri: `${cbBase}/cb`, client_id: pub.client.id }),
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: string }).error).toBe("invalid_grant");
  }, 90_000);

  test("refused: a reused code, and an expired code", async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const challenge = await oidc.calculatePKCECodeChallenge(verifier);
    const landed = await authorize(page, pubConfig, { redirect_uri: `${cbBase}/cb`, code_challenge: challenge, code_challenge_method: "S256" });
    const first = await oidc.authorizationCodeGrant(pubConfig, landed, { pkceCodeVerifier: verifier, expectedState: landed.searchParams.get("state")! });
    expect(await oauthError(oidc.authorizationCodeGrant(pubConfig, landed, { pkceCodeVerifier: verifier, expectedState: landed.searchParams.get("state")! })))
      .toBe("invalid_grant");
    // Reuse also revokes what the code produced (RFC 6749 §4.1.2).
    expect(await oauthError(oidc.fetchUserInfo(pubConfig, first.access_token, friendId))).toBe("invalid_token");

    const late = await authorize(page, pubConfig, { redirect_uri: `${cbBase}/cb`, code_challenge: challenge, code_challenge_method: "S256" });
    await Bun.sleep((CODE_TTL_S + 1) * 1000);
    expect(await oauthError(oidc.authorizationCodeGrant(pubConfig, late, { pkceCodeVerifier: verifier, expectedState: late.searchParams.get("state")! })))
      .toBe("invalid_grant");
  }, 90_000);

  test("refused: an account without the client's role gets access_denied (audited)", async () => {
    await createHuman(s, "norole", "norole-password-123");
    const other = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const p = await newPage(other);
      const landed = await authorize(p, confConfig, { redirect_uri: `${cbBase}/cb` }, { user: "norole", password: "norole-password-123" });
      expect(landed.searchParams.get("error")).toBe("access_denied");
      expect(landed.searchParams.get("code")).toBeNull();
    } finally {
      await other.close();
    }
    const audit = await s.call("GET", "/v1/audit?type=oidc_login_refused", { token: await s.adminToken() });
    expect(audit.body.events.some((e: { target: string; details: { reason?: string } }) => e.target === "norole" && e.details.reason === "role")).toBe(true);
  }, 90_000);

  test("signing out of the console ends single sign-on: the next person on the browser signs in as themselves", async () => {
    await page.goto(`${issuer}/`);
    await page.click("form[action='/logout'] button");
    await page.waitForURL(/\/login/);
    const verifier = oidc.randomPKCECodeVerifier();
    const landed = await authorize(page, pubConfig, { redirect_uri: `${cbBase}/cb`, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256" },
      { user: "mallory", password: "mallory-password-123" });
    const tokens = await oidc.authorizationCodeGrant(pubConfig, landed, { pkceCodeVerifier: verifier, expectedState: landed.searchParams.get("state")! });
    expect(tokens.claims()?.preferred_username).toBe("mallory");
    expect(tokens.claims()?.sub).not.toBe(friendId);
    // And back to the friend, for the tests below.
    await page.goto(`${issuer}/`);
    await page.click("form[action='/logout'] button");
    await page.waitForURL(/\/login/);
    const v2 = oidc.randomPKCECodeVerifier();
    const back = await authorize(page, pubConfig, { redirect_uri: `${cbBase}/cb`, code_challenge: await oidc.calculatePKCECodeChallenge(v2), code_challenge_method: "S256" },
      { user: "friend", password: FRIEND_PASSWORD });
    const t2 = await oidc.authorizationCodeGrant(pubConfig, back, { pkceCodeVerifier: v2, expectedState: back.searchParams.get("state")! });
    expect(t2.claims()?.sub).toBe(friendId);
  }, 90_000);

  test("losing the client's role: the open app session gets no more tokens, the next sign-in is refused", async () => {
    const landed = await authorize(page, confConfig, { redirect_uri: `${cbBase}/cb` });
    const tokens = await oidc.authorizationCodeGrant(confConfig, landed, { expectedState: landed.searchParams.get("state")! });
    const admin = await s.adminToken();
    expect((await s.call("DELETE", `/v1/accounts/${friendId}/roles/photos`, { token: admin })).status).toBe(200);
    try {
      expect(await oauthError(oidc.refreshTokenGrant(confConfig, tokens.refresh_token!))).toBe("invalid_grant");
      const again = await authorize(page, confConfig, { redirect_uri: `${cbBase}/cb` });
      expect(again.searchParams.get("error")).toBe("access_denied");
    } finally {
      expect((await s.call("POST", `/v1/accounts/${friendId}/roles`, { token: admin, json: { role: "photos" } })).status).toBe(200);
    }
  }, 90_000);

  test("figure: token endpoint throughput (refresh grants, confidential client)", async () => {
    const landed = await authorize(page, confConfig, { redirect_uri: `${cbBase}/cb` });
    let rt = (await oidc.authorizationCodeGrant(confConfig, landed, { expectedState: landed.searchParams.get("state")! })).refresh_token!;
    const auth = `Basic ${btoa(`${encodeURIComponent(conf.client.id)}:${encodeURIComponent(conf.client_secret!)}`)}`;
    // Confidential clients' refresh tokens do not rotate until 70% of their life: one token, many grants.
    const n = 200;
    const t0 = performance.now();
    let ok = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = 0; i < n / 8; i++) {
        const r = await s.fetch("/oidc/token", {
          method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: auth },
          body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: rt }),
        });
        if (r.status === 200) ok++;
        await r.arrayBuffer();
      }
    }));
    const secs = (performance.now() - t0) / 1000;
    console.log(`[figure] token endpoint: ${n} refresh grants, 8 concurrent, ${(n / secs).toFixed(0)}/s`);
    expect(ok).toBe(n);
  }, 120_000);

  test("deactivating the account kills its refresh tokens and OIDC sessions", async () => {
    const landed = await authorize(page, confConfig, { redirect_uri: `${cbBase}/cb` });
    const tokens = await oidc.authorizationCodeGrant(confConfig, landed, { expectedState: landed.searchParams.get("state")! });
    expect((await s.call("PATCH", `/v1/accounts/${friendId}`, { token: await s.adminToken(), json: { status: "inactive" } })).status).toBe(200);
    expect(await oauthError(oidc.refreshTokenGrant(confConfig, tokens.refresh_token!))).toBe("invalid_grant");
    expect(await oauthError(oidc.fetchUserInfo(confConfig, tokens.access_token, friendId))).toBe("invalid_token");
  }, 90_000);
});

describe("client management", () => {
  test("REST: admin only, validation, secret shown once, audited", async () => {
    const admin = await s.adminToken();
    const bad = await s.call("POST", "/v1/oidc/clients", { token: admin, json: { name: "x", redirect_uris: ["http://example.com/cb"] } });
    expect(bad.status).toBe(400);
    expect((await s.call("POST", "/v1/oidc/clients", { token: admin, json: { name: "x", redirect_uris: ["https://a/cb#frag"] } })).status).toBe(400);
    expect((await s.call("POST", "/v1/oidc/clients", { token: admin, json: { name: "x", redirect_uris: ["https://a/cb"], bogus: 1 } })).status).toBe(400);
    expect((await s.call("POST", "/v1/oidc/clients", { token: admin, json: { name: "x", redirect_uris: ["https://a/cb"], id_token_alg: "HS256" } })).status).toBe(400);
    const created = await s.call("POST", "/v1/oidc/clients", { token: admin, json: { name: "Gitea", redirect_uris: ["https://git.example.com/user/oauth2/mcias/callback"], id_token_alg: "RS256" } });
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toContain("no-store");
    expect(created.body.client_secret).toBeString();
    const id = created.body.client.id as string;
    const got = await s.call("GET", `/v1/oidc/clients/${id}`, { token: admin });
    expect(got.status).toBe(200);
    expect(JSON.stringify(got.body)).not.toContain(created.body.client_secret);
    const list = await s.call("GET", "/v1/oidc/clients", { token: admin });
    expect(JSON.stringify(list.body)).not.toContain(created.body.client_secret);
    const patched = await s.call("PATCH", `/v1/oidc/clients/${id}`, { token: admin, json: { allowed_roles: ["git"] } });
    expect(patched.body.allowed_roles).toEqual(["git"]);
    const rotated = await s.call("POST", `/v1/oidc/clients/${id}/secret`, { token: admin });
    expect(rotated.status).toBe(200);
    expect(rotated.body.client_secret).not.toBe(created.body.client_secret);
    // An RS256 key now exists in the JWKS.
    const jwks = await (await s.fetch("/oidc/jwks")).json() as { keys: { alg: string; d?: string }[] };
    expect(jwks.keys.map((k) => k.alg)).toEqual(expect.arrayContaining(["EdDSA", "RS256"]));
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    await createHuman(s, "plainuser", "plainuser-password-1");
    const plain = await s.login("plainuser", "plainuser-password-1");
    expect((await s.call("GET", "/v1/oidc/clients", { token: plain })).status).toBe(403);
    expect((await s.call("POST", "/v1/oidc/clients", { token: plain, json: { name: "x", redirect_uris: ["https://a/cb"] } })).status).toBe(403);
    expect((await s.call("DELETE", `/v1/oidc/clients/${id}`, { token: admin })).status).toBe(204);
    expect((await s.call("GET", `/v1/oidc/clients/${id}`, { token: admin })).status).toBe(404);
    const audit = await s.call("GET", "/v1/audit?limit=500", { token: admin });
    const types = (audit.body.events as { type: string }[]).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["oidc_client_created", "oidc_client_updated", "oidc_client_secret_rotated", "oidc_client_deleted"]));
    expect(JSON.stringify(audit.body)).not.toContain(created.body.client_secret);
  });

  test("mcias ctl oidc client create|list|get|update|rotate-secret|delete", async () => {
    const admin = await s.adminToken();
    const ctl = (args: string[]) => runMcias(["ctl", "oidc", "client", ...args, "--server", s.url, "--cacert", `${s.dir}/server.crt`, "--token", admin],
      { env: { XDG_CONFIG_HOME: s.dir } });
    const made = await ctl(["create", "--name", "Grafana", "--redirect-uris", "https://grafana.example.com/login/generic_oauth", "--allowed-roles", "grafana,ops", "--alg", "RS256", "--json"]);
    expect(made.code).toBe(0);
    const body = JSON.parse(made.stdout) as { client: { id: string; allowed_roles: string[]; id_token_alg: string }; client_secret: string };
    expect(body.client.allowed_roles).toEqual(["grafana", "ops"]);
    expect(body.client.id_token_alg).toBe("RS256");
    expect(body.client_secret.length).toBeGreaterThan(30);
    const human = await ctl(["get", "--id", body.client.id]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("Grafana");
    expect(human.stdout).not.toContain(body.client_secret);
    const listed = await ctl(["list"]);
    expect(listed.stdout).toContain(body.client.id);
    const upd = await ctl(["update", "--id", body.client.id, "--allowed-roles", "", "--json"]);
    expect(upd.code).toBe(0);
    expect(JSON.parse(upd.stdout).allowed_roles).toEqual([]);
    expect((await ctl(["update", "--id", body.client.id])).code).toBe(2);
    expect((await ctl(["create", "--name", "x", "--redirect-uris", "https://x/cb", "--alg", "HS256"])).code).toBe(2);
    const rot = await ctl(["rotate-secret", "--id", body.client.id]);
    expect(rot.code).toBe(0);
    expect(rot.stdout).toContain("client_secret: ");
    expect(rot.stdout).not.toContain(body.client_secret);
    expect((await ctl(["delete", "--id", body.client.id])).code).toBe(0);
    const gone = await ctl(["get", "--id", body.client.id]);
    expect(gone.code).toBe(1);
  }, 60_000);

  test("the database holds no client secret, private key or token in the clear", async () => {
    const { Database } = await import("bun:sqlite");
    const db = new Database(`${s.dir}/mcias.db`, { readonly: true });
    try {
      const keys = db.query<{ private_enc: Uint8Array; public_jwk: string | null }, []>("SELECT private_enc, public_jwk FROM oidc_keys").all();
      expect(keys.length).toBeGreaterThanOrEqual(2);
      for (const k of keys) {
        expect(Buffer.from(k.private_enc).toString("utf8")).not.toContain("\"d\"");
        expect(k.public_jwk ?? "").not.toContain("\"d\"");
      }
      const payloads = db.query<{ model: string; payload: string }, []>("SELECT model, payload FROM oidc_payloads").all();
      for (const p of payloads) {
        if (["AccessToken", "RefreshToken", "AuthorizationCode"].includes(p.model)) expect(JSON.parse(p.payload).jti).toBeUndefined();
      }
    } finally {
      db.close();
    }
  });

  test("sealed vault: the provider answers 503 like the API", async () => {
    expect((await s.call("POST", "/v1/vault/seal", { token: await s.adminToken() })).status).toBe(200);
    for (const path of ["/.well-known/openid-configuration", "/oidc/jwks", "/oidc/auth?client_id=x"]) {
      const r = await s.call("GET", path);
      expect(r.status).toBe(503);
      expect(r.body.code).toBe("vault_sealed");
    }
    const tok = await s.fetch("/oidc/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=refresh_token&refresh_token=x" });
    expect(tok.status).toBe(503);
  });
});

