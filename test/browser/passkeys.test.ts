/**
 * Onboarding a friend in a real browser (Debian's chromium through playwright-core)
 * with a CDP virtual authenticator, against the compiled server on https://localhost
 * (an IP address can never be a WebAuthn RP ID):
 *   - the admin makes an invite link from the console (shown once, copy button);
 *   - the friend opens it, chooses a password, lands signed in, adds a passkey, signs
 *     out and signs in with the passkey alone (no username);
 *   - the admin removes the passkey; the next passkey login fails;
 *   - a security key (cross-platform, not resident, no user verification) works as a
 *     second factor after the password, and not with a wrong password;
 *   - no CSP violation on any of these pages.
 * Screenshots (invite page, passkey list, passkey login) go to docs/screenshots/ only
 * with UPDATE_SCREENSHOTS=1.
 */
import { afterAll, beforeAll, describe, expect, test as bunTest } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from "playwright-core";
import { createHuman, freePort, removeDir, ROOT, startServer, ADMIN_PASSWORD, type TestServer } from "../helpers/server";

declare const window: Record<string, unknown>;
declare const document: { addEventListener(type: "securitypolicyviolation", fn: (e: { violatedDirective: string; blockedURI: string }) => void): void };

const CHROMIUM = "/usr/bin/chromium";
const SAVE = Bun.env.UPDATE_SCREENSHOTS === "1";
const FRIEND_PASSWORD = "friend-chose-this-pw";
const test = (name: string, fn: () => Promise<void>) => bunTest(name, fn, 60_000);

let s: TestServer;
let base: string;
let browser: Browser;
const contexts: BrowserContext[] = [];
const csp: string[] = [];
const consoleErrors: string[] = [];
const privateKeys: string[] = [];
let inviteToken = "";

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1100, height: 800 } });
  contexts.push(context);
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      (window.__csp as string[] | undefined)?.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
    window.__csp = [];
  });
  const p = await context.newPage();
  p.on("console", (m) => {
    // A refused sign-in (401) or step-up (403) is reported by the browser as a failed resource; those steps expect it.
    if (m.type() === "error" && !/status of 40[13]/.test(m.text())) consoleErrors.push(m.text());
  });
  p.on("pageerror", (e) => consoleErrors.push(String(e)));
  p.on("dialog", (d) => void d.accept());
  return p;
}

async function collectCsp(p: Page): Promise<void> {
  const v = await p.evaluate(() => { const out = (window.__csp as string[]) ?? []; window.__csp = []; return out; }).catch(() => [] as string[]);
  csp.push(...v);
}

async function shot(p: Page, name: string): Promise<void> {
  await collectCsp(p);
  const buf = await p.screenshot({ fullPage: true, ...(SAVE ? { path: join(ROOT, "docs/screenshots", `${name}.png`) } : {}) });
  expect(buf.byteLength).toBeGreaterThan(1000);
}

/** Adds a virtual authenticator to the page's browser target. */
async function authenticator(p: Page, kind: "passkey" | "security-key"): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await p.context().newCDPSession(p);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const options = kind === "passkey"
    ? { protocol: "ctap2" as const, transport: "internal" as const, hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true }
    : { protocol: "ctap2" as const, transport: "usb" as const, hasResidentKey: false, hasUserVerification: false, automaticPresenceSimulation: true };
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", { options });
  return { cdp, id: authenticatorId };
}

async function signInWithPassword(p: Page, username: string, password: string): Promise<void> {
  await p.goto(`${base}/login`);
  await p.fill("#login-username", username);
  await p.fill("#login-password", password);
  await Promise.all([p.waitForURL(`${base}/`), p.click("form[aria-label='Sign in'] button[type=submit]")]);
}

async function signOut(p: Page): Promise<void> {
  await Promise.all([p.waitForURL(/\/login/), p.click("form[action='/logout'] button")]);
}

async function audit(type: string, account: string) {
  const r = await s.call("GET", `/v1/audit?type=${type}&account=${account}&limit=100`, { token: await s.adminToken() });
  return r.body.events as { details: Record<string, unknown> }[];
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM}: install it (apt-get install chromium)`);
  const port = freePort();
  s = await startServer({ listen: `127.0.0.1:${port}`, sections: { tokens: `issuer = "https://localhost:${port}"` } });
  base = `https://localhost:${port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-default-apps", "--disable-sync"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (s) { await s.stop(); removeDir(s.dir); }
}, 60_000);

describe("onboarding a friend in the browser", () => {
  let friendId = "";
  let friend: Page;
  let admin: Page;
  let friendKey: { cdp: CDPSession; id: string } | undefined;

  test("the admin makes an invite link in the console; it is shown once with a copy button", async () => {
    const c = await s.call("POST", "/v1/accounts", { token: await s.adminToken(), json: { username: "Robin", account_type: "human", display_name: "Robin Friend", email: "robin@example.org" } });
    expect(c.status).toBe(201);
    friendId = c.body.id;
    admin = await newPage();
    await signInWithPassword(admin, "admin", ADMIN_PASSWORD);
    await admin.goto(`${base}/accounts/${friendId}`);
    await Promise.all([admin.waitForURL(`${base}/accounts/${friendId}/invite`), admin.click(`form[action='/accounts/${friendId}/invite'] button`)]);
    expect(await admin.locator("h1").first().innerText()).toBe("Invite link for robin");
    await admin.locator("[data-copy='invite-url']").waitFor({ state: "visible" });
    const url = (await admin.locator("#invite-url").innerText()).trim();
    expect(url).toMatch(new RegExp(`^${base}/invite/[A-Za-z0-9_-]{43}$`));
    inviteToken = url.slice(url.lastIndexOf("/") + 1);
    await shot(admin, "invite-link");

    friend = await newPage();
    await friend.goto(url);
    expect(await friend.locator("h1").first().innerText()).toBe("Welcome to MCIAS");
    expect(await friend.locator("main").innerText()).toContain("Robin Friend (robin)");
    await friend.fill("#invite-password", FRIEND_PASSWORD);
    await friend.fill("#invite-confirm", FRIEND_PASSWORD);
    await shot(friend, "invite-page");
    await Promise.all([friend.waitForURL(/\/profile\?notice=welcome/), friend.click("form[aria-label='Choose a password'] button[type=submit]")]);
    expect(await friend.locator(".notice").innerText()).toContain("Welcome!");
    // the link is used up
    const again = await friend.context().newPage();
    expect((await again.goto(url))?.status()).toBe(404);
    await again.close();
  });

  test("the friend adds a passkey, signs out, and signs in with the passkey alone", async () => {
    friendKey = await authenticator(friend, "passkey");
    await friend.goto(`${base}/profile`);
    // step-up: without the current password nothing is asked of the authenticator
    await friend.click("[data-passkey='register']");
    await friend.locator("#passkey-register-status").filter({ hasText: "Enter your current password first." }).waitFor();
    await friend.fill("#passkey-password", "not-the-password-1");
    await friend.click("[data-passkey='register']");
    await friend.locator("#passkey-register-status").filter({ hasText: "current password is missing or wrong" }).waitFor();
    await friend.fill("#passkey-password", FRIEND_PASSWORD);
    await Promise.all([friend.waitForURL(/notice=passkey_added/), friend.click("[data-passkey='register']")]);
    expect(await friend.inputValue("input[name=name]")).toBe("Passkey 1"); // default name
    await friend.fill("input[name=name]", "Robin's laptop");
    await Promise.all([friend.waitForURL(/notice=passkey_renamed/), friend.click("form[aria-label='Rename Passkey 1'] button")]);
    const rows = await friend.locator("table[aria-label] tbody tr, .table-wrap tbody tr").count();
    expect(rows).toBeGreaterThanOrEqual(1);
    expect(await friend.locator("#h-passkeys + .card").innerText()).toContain("Rename");
    expect(await friend.inputValue("input[name=name]")).toBe("Robin's laptop");
    await shot(friend, "passkey-list");
    expect((await audit("webauthn_registered", friendId))).toHaveLength(1);

    await signOut(friend);
    await friend.locator("[data-passkey='login']").waitFor({ state: "visible" });
    await shot(friend, "passkey-login");
    // with a return address (SPEC §16 rd), the passkey sign-in goes back there like the password form
    await friend.goto(`${base}/login?rd=${encodeURIComponent(`${base}/profile`)}`);
    await Promise.all([friend.waitForURL(`${base}/profile`), friend.click("[data-passkey='login']")]);
    expect(await friend.locator("main").innerText()).toContain("robin");
    const ok = await audit("login_ok", friendId);
    expect(ok.some((e) => e.details.method === "webauthn" && e.details.user_verified === true)).toBe(true);
  });

  test("a cloned authenticator (counter gone back) is refused and audited; a locked account's passkey is refused", async () => {
    // Put the same key back into the authenticator with its counter reset: what a clone looks like.
    const { cdp, id } = friendKey!;
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId: id });
    expect(credentials).toHaveLength(1);
    const cred = credentials[0]!;
    privateKeys.push(cred.privateKey);
    await cdp.send("WebAuthn.removeCredential", { authenticatorId: id, credentialId: cred.credentialId });
    await cdp.send("WebAuthn.addCredential", { authenticatorId: id, credential: { ...cred, signCount: 0 } });
    await signOut(friend);
    await friend.click("[data-passkey='login']");
    await friend.locator("#passkey-login-status").filter({ hasText: "Sign-in failed." }).waitFor({ timeout: 20_000 });
    const fails = await audit("login_fail", friendId);
    expect(fails.some((e) => e.details.method === "webauthn" && e.details.reason === "counter_regression")).toBe(true);

    // Lockout applies to passkeys as to passwords (max_failures = 10 in tests).
    for (let i = 0; i < 10; i++) {
      await s.call("POST", "/v1/auth/login", { json: { username: "robin", password: "wrong-password-12345" } });
    }
    await friend.goto(`${base}/login`);
    await friend.click("[data-passkey='login']");
    await friend.locator("#passkey-login-status").filter({ hasText: "Sign-in failed." }).waitFor({ timeout: 20_000 });
    const locked = await audit("login_locked", friendId);
    expect(locked.some((e) => e.details.method === "webauthn")).toBe(true);
    // an admin's reactivation clears the lockout
    await s.call("PATCH", `/v1/accounts/${friendId}`, { token: await s.adminToken(), json: { status: "inactive" } });
    await s.call("PATCH", `/v1/accounts/${friendId}`, { token: await s.adminToken(), json: { status: "active" } });
  });

  test("the admin removes the friend's passkey; the next passkey login fails", async () => {
    await admin.goto(`${base}/accounts/${friendId}`);
    expect(await admin.locator("main").innerText()).toContain("Robin's laptop");
    await Promise.all([admin.waitForURL(/notice=passkey_removed/), admin.click(`form[action^='/accounts/${friendId}/passkeys/'] button`)]);
    expect(await admin.locator("main").innerText()).not.toContain("Robin's laptop");
    expect((await audit("webauthn_removed", friendId))).toHaveLength(1);

    await friend.goto(`${base}/login`);
    await friend.click("[data-passkey='login']");
    await friend.locator("#passkey-login-status").filter({ hasText: "Sign-in failed." }).waitFor({ timeout: 20_000 });
    expect(friend.url()).toContain("/login");
    const fails = await s.call("GET", "/v1/audit?type=login_fail&limit=50", { token: await s.adminToken() });
    expect(fails.body.events.some((e: { details: Record<string, unknown> }) => e.details.method === "webauthn" && e.details.reason === "unknown_credential")).toBe(true);
    // the password still works
    await signInWithPassword(friend, "robin", FRIEND_PASSWORD);
  });

  test("a security key (cross-platform, not resident, no PIN) is a second factor after the password", async () => {
    const id = await createHuman(s, "kim", "kim-password-12345");
    const p = await newPage();
    const key = await authenticator(p, "security-key");
    await signInWithPassword(p, "kim", "kim-password-12345");
    await p.goto(`${base}/profile`);
    await p.fill("#passkey-password", "kim-password-12345");
    await Promise.all([p.waitForURL(/notice=passkey_added/), p.click("[data-passkey='register']")]);
    expect(await p.locator("#h-passkeys + .card").innerText()).toContain("Security key 1");
    const { credentials } = await key.cdp.send("WebAuthn.getCredentials", { authenticatorId: key.id });
    expect(credentials.map((c) => c.isResidentCredential)).toEqual([false]);
    privateKeys.push(...credentials.map((c) => c.privateKey));
    await signOut(p);

    // wrong password + the key: refused
    await p.fill("#login-username", "kim");
    await p.fill("#login-password", "not-kims-password-1");
    await p.click("[data-passkey='security-key']");
    await p.locator("#passkey-login-status").filter({ hasText: "Sign-in failed." }).waitFor({ timeout: 20_000 });
    const fails = await audit("login_fail", id);
    expect(fails.some((e) => e.details.method === "webauthn" && e.details.reason === "bad_password")).toBe(true);

    // right password + the key: signed in
    await p.fill("#login-password", "kim-password-12345");
    await Promise.all([p.waitForURL(`${base}/`), p.click("[data-passkey='security-key']")]);
    const ok = await audit("login_ok", id);
    expect(ok.some((e) => e.details.method === "webauthn" && e.details.user_verified === false)).toBe(true);
    await collectCsp(p);
  });

  test("the REST ceremonies with the browser's own JSON forms (parse…FromJSON / toJSON): register, list, rename, login, remove", async () => {
    const id = await createHuman(s, "rest-user", "rest-user-password-1");
    const token = await s.login("rest-user", "rest-user-password-1");
    const p = await newPage();
    await authenticator(p, "passkey");
    await p.goto(`${base}/login`); // any page of the origin
    type R = { status: number; body: any };
    const registered = await p.evaluate(async (tok: string): Promise<R> => {
      const w = window as any;
      const call = async (path: string, body: unknown, auth?: string) => {
        const r = await w.fetch(path, { method: "POST", headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) }, body: JSON.stringify(body) });
        return { status: r.status, body: await r.json() };
      };
      const refused = await call("/v1/auth/webauthn/register/options", {}, tok);
      if (refused.status !== 403) return refused; // step-up: the current password is needed
      const o = await call("/v1/auth/webauthn/register/options", { current_password: "rest-user-password-1" }, tok);
      const cred = await w.navigator.credentials.create({ publicKey: w.PublicKeyCredential.parseCreationOptionsFromJSON(o.body) });
      return call("/v1/auth/webauthn/register/verify", { response: cred.toJSON(), name: "Browser JSON" }, tok);
    }, token);
    expect(registered.status).toBe(201);
    expect(Object.keys(registered.body).sort()).toEqual(["created_at", "id", "last_used_at", "name"]);
    const list = await s.call("GET", "/v1/auth/webauthn/credentials", { token });
    expect(list.body.map((c: { name: string }) => c.name)).toEqual(["Browser JSON"]);
    const renamed = await s.call("PATCH", `/v1/auth/webauthn/credentials/${registered.body.id}`, { token, json: { name: "Renamed" } });
    expect(renamed.body.name).toBe("Renamed");
    // another account cannot see, rename or remove it through the own-credentials path
    const other = await s.login("kim", "kim-password-12345").catch(() => null);
    if (other) expect((await s.call("DELETE", `/v1/auth/webauthn/credentials/${registered.body.id}`, { token: other })).status).toBe(404);

    const login = async (): Promise<R> => p.evaluate(async (): Promise<R> => {
      const w = window as any;
      const call = async (path: string, body: unknown) => {
        const r = await w.fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        return { status: r.status, body: await r.json() };
      };
      const o = await call("/v1/auth/webauthn/login/options", {});
      const cred = await w.navigator.credentials.get({ publicKey: w.PublicKeyCredential.parseRequestOptionsFromJSON(o.body) });
      return call("/v1/auth/webauthn/login/verify", { response: cred.toJSON() });
    });
    // TOTP on: a passkey login still needs no code (it satisfies TOTP).
    const en = await s.call("POST", "/v1/auth/totp/enroll", { token, json: { current_password: "rest-user-password-1" } });
    const { totpCodeAt } = await import("../../src/crypto/totp");
    expect((await s.call("POST", "/v1/auth/totp/confirm", { token, json: { code: totpCodeAt(en.body.secret, Date.now()) } })).status).toBe(200);
    expect((await s.call("POST", "/v1/auth/login", { json: { username: "rest-user", password: "rest-user-password-1" } })).status).toBe(401);
    const li = await login();
    expect(li.status).toBe(200);
    expect(Object.keys(li.body).sort()).toEqual(["expires_at", "token"]);
    expect((await s.call("GET", "/v1/auth/me", { token: li.body.token })).body.username).toBe("rest-user");
    const used = await s.call("GET", `/v1/accounts/${id}/webauthn/credentials`, { token: await s.adminToken() });
    expect(used.body[0].last_used_at).not.toBeNull();

    expect((await s.call("DELETE", `/v1/auth/webauthn/credentials/${registered.body.id}`, { token })).status).toBe(204);
    const after = await login();
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ error: "invalid credentials", code: "unauthorized" });
  });

  test("no private key, invite link or its token in the database, the audit log or the server's log", async () => {
    expect(privateKeys.length).toBeGreaterThan(0);
    const { Database } = await import("bun:sqlite");
    const db = new Database(join(s.dir, "mcias.db"), { readonly: true });
    const blobs = db.query<{ public_key: Uint8Array }, []>("SELECT public_key FROM webauthn_credentials").all();
    const dump = JSON.stringify(db.query("SELECT * FROM audit_log").all()) + JSON.stringify(db.query("SELECT id, credential_id, name FROM webauthn_credentials").all()) +
      blobs.map((b) => Buffer.from(b.public_key).toString("base64")).join();
    db.close();
    const logs = s.logs().join("\n");
    for (const secret of [...privateKeys, ...privateKeys.map((k) => Buffer.from(k, "base64").toString("base64url")), inviteToken]) {
      expect(secret.length).toBeGreaterThan(30);
      expect(dump.includes(secret)).toBe(false);
      expect(logs.includes(secret)).toBe(false);
    }
    expect(logs).toContain("/invite/[redacted]");
  });

  test("no CSP violation and no console error on any of these pages", async () => {
    await collectCsp(friend);
    await collectCsp(admin);
    expect(csp).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
