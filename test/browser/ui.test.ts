/**
 * The web console in a real browser (Debian's chromium through playwright-core)
 * against the real server: login, accounts, roles, TOTP enrollment and TOTP login,
 * service tokens, Postgres credentials, delegates, policy rules, audit log, CSRF
 * refusal, and no CSP violation or console error on any page.
 *
 * Screenshots are written to docs/screenshots/ only with UPDATE_SCREENSHOTS=1 (so a
 * normal test run leaves the tree clean); they are always taken, so rendering runs.
 * A missing chromium fails this file: the UI is part of the product.
 */
import { afterAll, beforeAll, describe, expect, test as bunTest } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { totpCodeAt } from "../../src/crypto/totp";
import { ADMIN_PASSWORD, removeDir, ROOT, startServer, type TestServer } from "../helpers/server";

// The few browser globals the page callbacks use (the project compiles without the DOM lib).
interface ViolationEvent { violatedDirective: string; blockedURI: string; sourceFile: string; lineNumber: number }
interface BrowserElement { setAttribute(k: string, v: string): void; value: string; scrollWidth: number; clientWidth: number; id: string; getAttribute(k: string): string | null; labels: { length: number } | null }
declare const window: Record<string, unknown>;
declare const document: {
  querySelector(sel: string): BrowserElement | null;
  querySelectorAll(sel: string): Iterable<BrowserElement>;
  documentElement: BrowserElement;
  addEventListener(type: "securitypolicyviolation", fn: (e: ViolationEvent) => void): void;
};

const CHROMIUM = "/usr/bin/chromium";
const SAVE = Bun.env.UPDATE_SCREENSHOTS === "1";
const DAVE_PASSWORD = "dave-password-12345";

let s: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
const cspViolations: string[] = [];

async function collectCsp(): Promise<void> {
  const v = await page.evaluate(() => {
    const w = window as unknown as { __csp?: string[] };
    const out = w.__csp ?? [];
    w.__csp = [];
    return out;
  }).catch(() => [] as string[]);
  cspViolations.push(...v);
}

/** Every visible form control has a label (WCAG 1.3.1 / 4.1.2). */
async function expectLabelled(): Promise<void> {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
      .filter((e) => (e.labels?.length ?? 0) === 0 && !e.getAttribute("aria-label"))
      .map((e) => e.id || e.getAttribute("name") || "?"));
  expect(unlabelled).toEqual([]);
}

async function shot(name: string, fullPage = true): Promise<void> {
  await collectCsp();
  await expectLabelled();
  const buf = await page.screenshot({ fullPage, ...(SAVE ? { path: join(ROOT, "docs/screenshots", `${name}.png`) } : {}) });
  expect(buf.byteLength).toBeGreaterThan(1000);
}

async function go(path: string): Promise<void> {
  await collectCsp();
  const r = await page.goto(s.url + path);
  expect(r?.status()).toBeLessThan(400);
}

/** Submits by clicking and waits for htmx (boosted forms) or a navigation to finish. */
async function submit(selector: string): Promise<void> {
  // Every response is a full page whose <main> replaces the old one (htmx boost or a plain
  // navigation), so a marker on the old <main> tells when the answer has arrived.
  await page.evaluate(() => document.querySelector("main")?.setAttribute("data-stale", "1"));
  await page.click(selector);
  await page.waitForSelector("main:not([data-stale])", { timeout: 15_000 });
}

async function login(username: string, password: string, totp?: string): Promise<void> {
  await go("/login");
  await page.fill("#login-username", username);
  await page.fill("#login-password", password);
  if (totp) await page.fill("#login-totp", totp);
  await submit("form[aria-label='Sign in'] button[type=submit]");
}

async function logout(): Promise<void> {
  await submit("form[action='/logout'] button");
  expect(await textOf("h1")).toBe("Sign in");
}

const h1 = () => page.locator("h1").first().innerText();
/** Waits until the first match is visible (fails after the timeout). */
const visible = (sel: string) => page.locator(sel).first().waitFor({ state: "visible", timeout: 10_000 });
const textOf = async (sel: string) => (await page.locator(sel).first().innerText()).trim();

/** Browser steps take longer than bun's 5 s default on a loaded machine; scoped to this file. */
const test = (name: string, fn: () => Promise<void>) => bunTest(name, fn, 30_000);

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM}: install it (apt-get install chromium)`);
  s = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-default-apps", "--disable-sync"],
  });
  context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1200, height: 800 } });
  await context.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("dialog", (d) => void d.accept());
}, 60_000);

/** Servers other describes started; stopped after the browser is closed (below). */
const laterStops: (() => Promise<void>)[] = [];

afterAll(async () => {
  // Close Chromium first: its open (or pre-connected) sockets would otherwise make each
  // server's graceful drain wait for them.
  await browser?.close();
  if (s) { await s.stop(); removeDir(s.dir); }
  for (const stop of laterStops) await stop();
}, 60_000);

describe("web console", () => {
  let daveId = "";
  let billingId = "";

  test("unauthenticated pages redirect to /login; login page renders", async () => {
    await go("/accounts");
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(await h1()).toBe("Sign in");
    await shot("login");
  });

  test("a wrong password shows an error and stays signed out", async () => {
    await login("admin", "not-the-password-at-all");
    await visible(".error");
    expect(await h1()).toBe("Sign in");
  });

  test("admin signs in and sees the dashboard", async () => {
    await login("admin", ADMIN_PASSWORD);
    expect(await h1()).toBe("Welcome, admin");
    const cookies = await context.cookies();
    const sess = cookies.find((c) => c.name === "mcias_session")!;
    expect(sess.httpOnly).toBe(true);
    expect(sess.secure).toBe(true);
    expect(sess.sameSite).toBe("Strict");
    expect(sess.path).toBe("/");
    await shot("dashboard");
  });

  test("create an account and grant it a role", async () => {
    await go("/accounts");
    await page.fill("#new-username", "dave");
    await page.selectOption("#new-type", "human");
    await page.fill("#new-password", DAVE_PASSWORD);
    await submit("form[aria-label='New account'] button[type=submit]");
    expect(await h1()).toContain("dave");
    expect(await textOf(".notice")).toBe("Account created.");
    daveId = (await page.locator("dl.props dd.mono").first().innerText()).trim();
    await page.fill("#grant-role", "ops");
    await submit("form[aria-label='Grant role'] button");
    expect(await textOf(".notice")).toBe("Roles updated.");
    const r = await s.call("GET", `/v1/accounts/${daveId}/roles`, { token: await s.adminToken() });
    expect(r.body.roles).toEqual(["ops"]);
    await shot("account-detail");
    await go("/accounts");
    expect(await textOf("table")).toContain("dave");
    await shot("accounts");
  });

  test("htmx enhances forms: a post is swapped in without a full page load", async () => {
    await go("/accounts");
    await page.evaluate(() => { (window as unknown as { __same?: number }).__same = 1; });
    await page.fill("#new-username", "erin");
    await page.fill("#new-password", "erin-password-12345");
    await submit("form[aria-label='New account'] button[type=submit]");
    expect(await h1()).toContain("erin");
    expect(await page.evaluate(() => (window as unknown as { __same?: number }).__same)).toBe(1);
  });

  test("works without JavaScript: plain form posts and redirects", async () => {
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true, javaScriptEnabled: false });
    try {
      const p = await ctx.newPage();
      await p.goto(`${s.url}/login`);
      await p.fill("#login-username", "admin");
      await p.fill("#login-password", ADMIN_PASSWORD);
      await Promise.all([p.waitForURL(`${s.url}/`), p.click("form[aria-label='Sign in'] button")]);
      expect(await p.locator("h1").first().innerText()).toBe("Welcome, admin");
      await p.goto(`${s.url}/accounts`);
      await p.fill("#new-username", "nojs");
      await p.selectOption("#new-type", "system");
      await Promise.all([p.waitForURL(/\/accounts\/[0-9a-f-]{36}/), p.click("form[aria-label='New account'] button")]);
      expect(await p.locator("h1").first().innerText()).toContain("nojs");
    } finally {
      await ctx.close();
    }
  });

  test("bad input re-renders the form with the input and the reason beside the field, and changes nothing", async () => {
    await go("/accounts");
    await page.fill("#new-username", "Bad Name!");
    await submit("form[aria-label='New account'] button[type=submit]");
    expect(await h1()).toBe("Accounts");
    expect(await page.inputValue("#new-username")).toBe("bad name!");
    expect(await textOf("#new-username-error")).toContain("lowercase letters");
    expect(await page.content()).not.toContain('"code"');
    const list = await s.call("GET", "/v1/accounts", { token: await s.adminToken() });
    expect(list.body.map((a: { username: string }) => a.username)).not.toContain("Bad Name!");
  });

  test("service account: issue a token shown once, store Postgres credentials, add a delegate", async () => {
    await go("/accounts");
    await page.fill("#new-username", "billing");
    await page.selectOption("#new-type", "system");
    await submit("form[aria-label='New account'] button[type=submit]");
    billingId = (await page.locator("dl.props dd.mono").first().innerText()).trim();
    await go(`/services/${billingId}`);
    await submit("form[action$='/token'] button");
    expect(await h1()).toBe("New token for billing");
    const token = (await page.locator("#issued-token").innerText()).trim();
    await visible("button[data-copy='issued-token']");
    const v = await s.call("POST", "/v1/token/validate", { json: { token } });
    expect(v.body).toMatchObject({ valid: true, username: "billing" });
    await shot("service-token");
    await go(`/services/${billingId}`);
    expect(await page.content()).not.toContain(token); // shown once only
    await page.fill("#pg-host", "db.internal");
    await page.fill("#pg-port", "5432");
    await page.fill("#pg-database", "billing");
    await page.fill("#pg-username", "billing_app");
    await page.fill("#pg-password", "pg-secret-value-1");
    await submit("form[aria-label='Postgres credentials'] button");
    expect(await textOf(".notice")).toBe("Postgres credentials saved.");
    await page.fill("#delegate-grantee", "dave");
    await submit("form[aria-label='Add delegate'] button");
    expect(await textOf(".notice")).toBe("Delegate added.");
    const d = await s.call("GET", `/v1/accounts/${billingId}/token/delegates`, { token: await s.adminToken() });
    expect(d.body.map((g: { username: string }) => g.username)).toEqual(["dave"]);
    await shot("service-account");
    await go("/pgcreds");
    expect(await textOf("table")).toContain("db.internal");
    await shot("pgcreds");
  });

  test("policy: create a rule in form mode, toggle it, edit it as raw JSON", async () => {
    await go("/policy");
    await visible(".empty"); // no stored rules yet
    await go("/policy/new");
    await page.fill("#rule-description", "ops may read audit");
    await page.selectOption("#rule-effect", "allow");
    await page.check("#chk-actions-audit-read");
    await page.fill("#rule-roles", "ops");
    await submit("form[aria-label='Rule'] button[type=submit]");
    expect(await textOf(".notice")).toBe("Rule created.");
    const rules = (await s.call("GET", "/v1/policy/rules", { token: await s.adminToken() })).body as { id: number; description: string; enabled: boolean; match: { roles?: string[] } }[];
    const rule = rules.find((r) => r.description === "ops may read audit")!;
    expect(rule.match.roles).toEqual(["ops"]);
    await submit(`form[action='/policy/rules/${rule.id}/toggle'] button`);
    expect((await s.call("GET", `/v1/policy/rules/${rule.id}`, { token: await s.adminToken() })).body.enabled).toBe(false);
    await submit(`form[action='/policy/rules/${rule.id}/toggle'] button`);
    expect((await s.call("GET", `/v1/policy/rules/${rule.id}`, { token: await s.adminToken() })).body.enabled).toBe(true);
    await go(`/policy/rules/${rule.id}/edit?mode=json`);
    const json = JSON.parse(await page.inputValue("#rule-json"));
    json.description = "ops may read the audit log";
    await page.fill("#rule-json", JSON.stringify(json, null, 2));
    await submit("form[aria-label='Rule'] button[type=submit]");
    expect(await textOf(".notice")).toBe("Rule updated.");
    expect((await s.call("GET", `/v1/policy/rules/${rule.id}`, { token: await s.adminToken() })).body.description).toBe("ops may read the audit log");
    await go(`/policy/rules/${rule.id}/edit?mode=json`);
    await page.fill("#rule-json", "{not json");
    await submit("form[aria-label='Rule'] button[type=submit]");
    await visible(".error");
    // Raw-JSON create with markup in the description: shown as text, never as HTML.
    const evil = `<img src=x onerror="window.__xss=1">`;
    await go("/policy/new?mode=json");
    await page.fill("#rule-json", JSON.stringify({ description: evil, effect: "deny", priority: 500, enabled: false, match: { actions: ["vault:seal"] } }));
    await submit("form[aria-label='Rule'] button[type=submit]");
    expect(await textOf(".notice")).toBe("Rule created.");
    expect(await page.locator("table img").count()).toBe(0);
    expect(await textOf("table")).toContain(evil);
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
    const evilRule = ((await s.call("GET", "/v1/policy/rules", { token: await s.adminToken() })).body as { id: number; description: string }[])
      .find((r) => r.description === evil)!;
    await submit(`form[action='/policy/rules/${evilRule.id}/delete'] button`);
    expect(await textOf(".notice")).toBe("Rule deleted.");
    expect((await s.call("GET", `/v1/policy/rules/${evilRule.id}`, { token: await s.adminToken() })).status).toBe(404);
    await go("/policy");
    await shot("policy");
    await go(`/policy/rules/${rule.id}/edit`);
    await shot("policy-edit");
  });

  test("audit log with filters and paging", async () => {
    await go("/audit?type=account_created");
    const rows = page.locator("tbody tr");
    expect(await rows.count()).toBe(5); // admin (mcias db), dave, erin, nojs, billing
    await go("/audit?account=dave");
    expect(await textOf("table")).toContain("role_granted");
    // Paging: two events a page; "Older" follows the cursor and keeps the filter.
    await go("/audit?type=account_created&limit=2");
    const firstPage = await textOf("tbody");
    expect(await page.locator("tbody tr").count()).toBe(2);
    await submit("a[rel=next]");
    expect(page.url()).toContain("cursor=");
    expect(await page.locator("tbody tr").count()).toBe(2);
    expect(await textOf("tbody")).not.toBe(firstPage);
    expect(await textOf("tbody")).toContain("account_created");
    await go("/audit?type=vault_sealed");
    await visible(".empty");
    await go("/audit");
    await shot("audit");
  });

  test("CSRF: state-changing requests without or with a wrong token are refused with 403", async () => {
    const results = await page.evaluate(async () => {
      const post = (body: string, headers: Record<string, string> = {}) =>
        fetch("/accounts", { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded", ...headers } })
          .then((r) => r.status);
      return [
        await post("username=evil1&account_type=human"),
        await post("username=evil2&account_type=human&_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"),
        await post("username=evil3&account_type=human", { "X-CSRF-Token": "wrong" }),
      ];
    });
    expect(results).toEqual([403, 403, 403]);
    const list = await s.call("GET", "/v1/accounts", { token: await s.adminToken() });
    expect(list.body.map((a: { username: string }) => a.username).filter((u: string) => u.startsWith("evil"))).toEqual([]);
    // And the same request with the page's own token goes through (the check is what refused it).
    const ok = await page.evaluate(async () => {
      const tok = document.querySelector("input[name=_csrf]")!.value;
      const r = await fetch("/accounts", { method: "POST", body: `username=csrf-ok&account_type=system&_csrf=${encodeURIComponent(tok)}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
      return r.status;
    });
    expect(ok).toBe(200); // 303 followed to the new account's page
  });

  test("phone width stays readable", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await go(`/accounts/${daveId}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await shot("account-detail-phone");
    await go("/");
    await shot("dashboard-phone");
    await page.setViewportSize({ width: 1200, height: 800 });
  });

  test("a non-admin sees only what the policy allows; forbidden pages are HTML 403", async () => {
    await logout();
    await login("dave", DAVE_PASSWORD);
    expect(await h1()).toBe("Welcome, dave");
    const nav = await page.locator("nav[aria-label=Main]").innerText();
    expect(nav).not.toContain("Accounts");
    expect(nav).not.toContain("Policy");
    expect(nav).toContain("Audit log"); // the rule made above allows role ops to read it
    const r = await page.goto(`${s.url}/accounts`);
    expect(r?.status()).toBe(403);
    expect(r?.headers()["content-type"]).toContain("text/html");
    expect(await h1()).toBe("Forbidden");
    // dave is billing's delegate: he may issue its token from its page
    await go(`/services/${billingId}`);
    await submit("form[action$='/token'] button");
    expect(await h1()).toBe("New token for billing");
  });

  test("TOTP enrollment with a QR code, then login with TOTP", async () => {
    await go("/profile");
    // Step-up (SPEC §18): without the current password the form refuses.
    await page.fill("#totp-current", "not-my-password-1");
    await submit("form[aria-label='Set up TOTP'] button");
    expect(await textOf("#totp-current-error")).toContain("Current password is incorrect");
    await page.fill("#totp-current", DAVE_PASSWORD);
    await submit("form[aria-label='Set up TOTP'] button");
    expect(await h1()).toBe("Set up TOTP");
    await visible(".qr svg");
    const secret = (await page.locator("#totp-secret").innerText()).trim();
    expect(secret).toMatch(/^[A-Z2-7]+=*$/);
    await shot("totp-enroll");
    await page.fill("#totp-code", totpCodeAt(secret, Date.now()));
    await submit("form[aria-label='Confirm TOTP'] button");
    // The recovery codes are shown once, on the confirmation page (SPEC §15).
    expect(await h1()).toBe("Two-factor authentication is on");
    const codes = (await page.locator("#recovery-codes").innerText()).trim().split(/\s+/);
    expect(codes).toHaveLength(10);
    await shot("recovery-codes");
    await submit("a[href='/profile']:text('Done')");
    expect(await h1()).toBe("Your profile");
    expect(await page.locator("#h-recovery + .card").innerText()).toContain("10 unused recovery codes left");
    await shot("profile");
    await logout();
    await login("dave", DAVE_PASSWORD); // no code: refused
    await visible(".error");
    // The confirm code's step is used up; the next step's code (within the ±1 window) is not.
    await login("dave", DAVE_PASSWORD, totpCodeAt(secret, Date.now() + 30_000));
    expect(await h1()).toBe("Welcome, dave");
    const audit = await s.call("GET", `/v1/audit?account=${daveId}&type=login_ok`, { token: await s.adminToken() });
    expect(audit.body.events.length).toBe(2);
  });

  test("logout revokes the session token", async () => {
    const before = (await context.cookies()).find((c) => c.name === "mcias_session")!.value;
    await logout();
    const v = await s.call("POST", "/v1/token/validate", { json: { token: before } });
    expect(v.body).toEqual({ valid: false });
    await go("/");
    expect(new URL(page.url()).pathname).toBe("/login");
  });

  test("no console errors and no CSP violations on any page", async () => {
    await collectCsp();
    expect(cspViolations).toEqual([]);
    expect(consoleErrors.filter((e) => !/status of 40[013] /.test(e))).toEqual([]);
  });
});

// Session renewal past half a session's life is a time rule: tested by the injected
// clock in test/inprocess/edge.test.ts, not by waiting here.
describe("sealed server", () => {
  const PASSPHRASE = "ui-test-unseal-passphrase";
  let sealed: TestServer;
  beforeAll(async () => {
    // Sealed start (passphrase variable unset).
    sealed = await startServer({ passphrase: PASSPHRASE, startSealed: true, sections: {
      rate_limit: "login_rate = 0.2\nlogin_burst = 3\nvalidate_rate = 10000\nvalidate_burst = 10000",
    } });
  }, 60_000);
  afterAll(() => {
    laterStops.push(async () => { if (sealed) { await sealed.stop(); removeDir(sealed.dir); } });
  });

  test("every page goes to /unseal while sealed; a wrong passphrase is refused; the right one unseals", async () => {
    const p = await context.newPage();
    try {
      await p.goto(`${sealed.url}/accounts`);
      expect(new URL(p.url()).pathname).toBe("/unseal");
      if (SAVE) await p.screenshot({ path: join(ROOT, "docs/screenshots", "unseal.png") });
      await p.goto(`${sealed.url}/login`);
      expect(new URL(p.url()).pathname).toBe("/unseal");
      await p.fill("#unseal-passphrase", "definitely-wrong-passphrase");
      await p.click("form[aria-label='Unseal'] button");
      await p.locator(".error").first().waitFor({ state: "visible" });
      expect((await sealed.call("GET", "/v1/vault/status")).body).toEqual({ sealed: true });
      await p.fill("#unseal-passphrase", PASSPHRASE);
      await Promise.all([p.waitForURL(/\/login/), p.click("form[aria-label='Unseal'] button")]);
      expect((await sealed.call("GET", "/v1/vault/status")).body).toEqual({ sealed: false });
      expect(await p.locator(".notice").first().innerText()).toBe("Vault unsealed.");

      // Signed in after the unseal.
      await p.fill("#login-username", "admin");
      await p.fill("#login-password", ADMIN_PASSWORD);
      await p.click("form[aria-label='Sign in'] button");
      await p.waitForSelector("text=Welcome, admin");

      // The UI login shares the API's per-IP limiter (burst 3, one used above): an HTML 429.
      const statuses = await p.evaluate(async () => {
        const tok = document.querySelector("input[name=_csrf]")!.value;
        const out: { status: number; type: string; retry: string | null }[] = [];
        for (let i = 0; i < 4; i++) {
          const r = await fetch("/login", {
            method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
            body: `_csrf=${encodeURIComponent(tok)}&username=admin&password=wrong-password-123`,
          });
          out.push({ status: r.status, type: r.headers.get("content-type") ?? "", retry: r.headers.get("retry-after") });
        }
        return out;
      });
      const limited = statuses.filter((x) => x.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      expect(limited[0]!.type).toContain("text/html");
      expect(Number(limited[0]!.retry)).toBeGreaterThan(0);
    } finally {
      await p.close();
    }
  });
});
