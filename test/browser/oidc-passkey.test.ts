/**
 * OpenID Connect sign-in with a passkey (SPEC §16 "password + TOTP, or passkey"): an
 * app (openid-client) sends the browser to MCIAS; on MCIAS's login page the friend
 * uses a passkey (CDP virtual authenticator) and lands back at the app with a code
 * that redeems for their ID token. Runs on https://localhost (WebAuthn needs a name).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as oidc from "openid-client";
import { chromium, type Browser, type Page } from "playwright-core";
import { createHuman, freePort, removeDir, startServer, type TestServer } from "../helpers/server";

const PASSWORD = "passkey-friend-pw-123";
let s: TestServer;
let base: string;
let browser: Browser;
let callback: ReturnType<typeof Bun.serve>;
let landedAt: ((u: URL) => void) | null = null;

beforeAll(async () => {
  callback = Bun.serve({
    hostname: "127.0.0.1", port: 0,
    fetch(req) {
      landedAt?.(new URL(req.url));
      return new Response("callback reached", { headers: { "content-type": "text/plain" } });
    },
  });
  const port = freePort();
  base = `https://localhost:${port}`;
  s = await startServer({ listen: `127.0.0.1:${port}`, sections: { tokens: `issuer = "${base}"` } });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
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

async function addPasskeyAuthenticator(p: Page): Promise<void> {
  const cdp = await p.context().newCDPSession(p);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
}

test("an app's sign-in completes with a passkey on MCIAS's login page", async () => {
  const friendId = await createHuman(s, "pkfriend", PASSWORD);
  const made = await s.call("POST", "/v1/oidc/clients", { token: await s.adminToken(), json: { name: "Notes", public: true, redirect_uris: [`http://127.0.0.1:${callback.port}/cb`] } });
  expect(made.status).toBe(201);
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  const p = await ctx.newPage();
  p.setDefaultTimeout(30_000);
  await addPasskeyAuthenticator(p);
  // Sign in with the password once and register a passkey (step-up: current password).
  await p.goto(`${base}/login`);
  await p.fill("#login-username", "pkfriend");
  await p.fill("#login-password", PASSWORD);
  await Promise.all([p.waitForURL(`${base}/`), p.click("form[aria-label='Sign in'] button[type=submit]")]);
  await p.goto(`${base}/profile`);
  await p.fill("#passkey-password", PASSWORD);
  await Promise.all([p.waitForURL(/notice=passkey_added/), p.click("[data-passkey='register']")]);
  await Promise.all([p.waitForURL(/\/login/), p.click("form[action='/logout'] button")]);

  const config = await oidc.discovery(new URL(base), made.body.client.id, {}, oidc.None(), {
    [oidc.customFetch]: ((url: string | URL | Request, init?: RequestInit) => fetch(url, { ...init, tls: { ca: s.ca } } as RequestInit)) as typeof fetch,
  });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const landed = new Promise<URL>((res) => { landedAt = res; });
  const url = oidc.buildAuthorizationUrl(config, {
    scope: "openid profile", redirect_uri: `http://127.0.0.1:${callback.port}/cb`, state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256",
  });
  await p.goto(url.href, { waitUntil: "commit" });
  await p.locator("[data-passkey='login']").waitFor({ state: "visible" });
  await p.click("[data-passkey='login']");
  const back = await landed;
  const tokens = await oidc.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state });
  expect(tokens.claims()?.sub).toBe(friendId);
  expect(tokens.claims()?.preferred_username).toBe("pkfriend");
  await ctx.close();
}, 120_000);
