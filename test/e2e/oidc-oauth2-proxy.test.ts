/**
 * oauth2-proxy (pinned in .ci/install.d/oidc.sh) configured with MCIAS as its OpenID
 * Connect provider, in front of a tiny upstream: a browser sign-in through MCIAS's
 * login form reaches the upstream with the user's identity; a user without the
 * client's role is refused and never reaches it; an RS256 client (for apps that cannot
 * verify EdDSA) works the same way.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { decodeProtectedHeader } from "jose";
import { chromium, type Browser, type Page } from "playwright-core";
import { createHuman, removeDir, startServer, type TestServer } from "../helpers/server";

const CHROMIUM = "/usr/bin/chromium";
const PROXY_BIN = [join(homedir(), "go/bin/oauth2-proxy"), "/usr/local/bin/oauth2-proxy"].find((p) => existsSync(p)) ?? "oauth2-proxy";

let s: TestServer;
let issuer: string;
let browser: Browser;
let upstream: ReturnType<typeof Bun.serve>;
const proxies: { proc: ReturnType<typeof Bun.spawn>; logs: string[] }[] = [];

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

async function startProxy(opts: { clientId: string; secret: string; alg?: string }): Promise<string> {
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const logs: string[] = [];
  const proc = Bun.spawn([
    "timeout", "-k", "5", "300", PROXY_BIN,
    "--provider=oidc", `--oidc-issuer-url=${issuer}`, `--provider-ca-file=${join(s.dir, "server.crt")}`,
    `--client-id=${opts.clientId}`, `--client-secret=${opts.secret}`,
    `--redirect-url=${base}/oauth2/callback`, `--http-address=127.0.0.1:${port}`,
    `--upstream=http://127.0.0.1:${upstream.port}/`,
    "--email-domain=*", "--oidc-email-claim=preferred_username", "--scope=openid profile email groups",
    `--cookie-secret=${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url").slice(0, 32)}`,
    "--cookie-secure=false", "--skip-provider-button", "--code-challenge-method=S256",
    "--pass-authorization-header", "--set-xauthrequest",
  ], { stdout: "pipe", stderr: "pipe" });
  const pump = async (st: ReadableStream<Uint8Array>) => { for await (const c of st) logs.push(new TextDecoder().decode(c)); };
  void pump(proc.stdout);
  void pump(proc.stderr);
  proxies.push({ proc, logs });
  for (let i = 0; i < 150; i++) {
    const ok = await fetch(`${base}/ping`).then((r) => r.status === 200, () => false);
    if (ok) return base;
    if (proc.exitCode !== null) break;
    await Bun.sleep(100);
  }
  throw new Error(`oauth2-proxy did not start:\n${logs.join("")}`);
}

async function client(body: Record<string, unknown>) {
  const r = await s.call("POST", "/v1/oidc/clients", { token: await s.adminToken(), json: body });
  expect(r.status).toBe(201);
  return { id: r.body.client.id as string, secret: r.body.client_secret as string };
}

async function signIn(page: Page, base: string, user: string, password: string): Promise<{ status: number; body: string }> {
  await page.goto(`${base}/`, { waitUntil: "commit" });
  await page.waitForSelector("#login-username");
  await page.fill("#login-username", user);
  await page.fill("#login-password", password);
  const done = page.waitForURL((u) => u.href.startsWith(base), { timeout: 40_000 });
  await page.click("button[type=submit]");
  await done;
  await page.waitForLoadState("load");
  const body = await page.content();
  const status = body.includes("upstream-saw") ? 200 : 403;
  return { status, body };
}

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1", port: 0,
    fetch(req) {
      const h = (k: string) => req.headers.get(k) ?? "";
      const seen = { user: h("x-forwarded-user"), email: h("x-forwarded-email"), groups: h("x-forwarded-groups"), preferred: h("x-forwarded-preferred-username"), auth: h("authorization") };
      return new Response(`<html><body><pre id="seen">upstream-saw ${JSON.stringify(seen)}</pre></body></html>`, { headers: { "content-type": "text/html" } });
    },
  });
  const port = freePort();
  issuer = `https://127.0.0.1:${port}`;
  s = await startServer({ listen: `127.0.0.1:${port}`, sections: { tokens: `issuer = "${issuer}"` } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-default-apps", "--disable-sync"],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  for (const p of proxies) {
    p.proc.kill("SIGTERM");
    await p.proc.exited;
  }
  if (s) {
    await s.stop();
    removeDir(s.dir);
  }
  upstream?.stop(true);
}, 60_000);

function seen(body: string): { user: string; email: string; groups: string; preferred: string; auth: string } {
  const m = /upstream-saw (\{.*\})<\/pre>/.exec(body.replace(/&quot;/g, "\""));
  if (!m) throw new Error(`upstream not reached:\n${body.slice(0, 500)}`);
  return JSON.parse(m[1]!);
}

describe("oauth2-proxy with MCIAS as its OIDC provider", () => {
  let wiki: { id: string; secret: string };
  let base: string;
  let aliceId: string;

  beforeAll(async () => {
    aliceId = await createHuman(s, "alice", "alice-password-123", ["wiki"]);
    await createHuman(s, "bob", "bob-password-1234", ["photos"]);
  }, 60_000);

  test("a browser sign-in reaches the upstream with the user's identity (EdDSA ID token)", async () => {
    // The proxy's port is known once it runs; its callback is registered then (PATCH).
    wiki = await client({ name: "Wiki (oauth2-proxy)", redirect_uris: ["http://127.0.0.1:1/placeholder"], allowed_roles: ["wiki"] });
    base = await startProxy({ clientId: wiki.id, secret: wiki.secret });
    const patch = await s.call("PATCH", `/v1/oidc/clients/${wiki.id}`, { token: await s.adminToken(), json: { redirect_uris: [`${base}/oauth2/callback`] } });
    expect(patch.status).toBe(200);
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const page = await ctx.newPage();
      const t0 = performance.now();
      const r = await signIn(page, base, "alice", "alice-password-123");
      console.log(`[figure] oauth2-proxy: first request -> MCIAS login -> upstream: ${(performance.now() - t0).toFixed(0)} ms`);
      const who = seen(r.body);
      expect(who.user).toBe(aliceId);
      expect(who.email).toBe("alice");
      expect(who.groups).toBe("wiki");
      expect(decodeProtectedHeader(who.auth.replace(/^Bearer /, "")).alg).toBe("EdDSA");
      // Signed in: the next request goes straight through.
      await page.goto(`${base}/again`);
      expect(seen(await page.content()).user).toBe(aliceId);
    } finally {
      await ctx.close();
    }
  }, 120_000);

  test("a user without the client's role is refused and never reaches the upstream", async () => {
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const page = await ctx.newPage();
      const r = await signIn(page, base, "bob", "bob-password-1234");
      expect(r.status).toBe(403);
      expect(r.body).not.toContain("upstream-saw");
    } finally {
      await ctx.close();
    }
    const audit = await s.call("GET", "/v1/audit?type=oidc_login_refused", { token: await s.adminToken() });
    expect(audit.body.events.some((e: { target: string }) => e.target === "bob")).toBe(true);
  }, 120_000);

  test("an RS256 client works for apps that cannot verify EdDSA", async () => {
    const rs = await client({ name: "Legacy app", redirect_uris: ["http://127.0.0.1:1/placeholder"], id_token_alg: "RS256" });
    const rsBase = await startProxy({ clientId: rs.id, secret: rs.secret });
    expect((await s.call("PATCH", `/v1/oidc/clients/${rs.id}`, { token: await s.adminToken(), json: { redirect_uris: [`${rsBase}/oauth2/callback`] } })).status).toBe(200);
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const page = await ctx.newPage();
      const r = await signIn(page, rsBase, "bob", "bob-password-1234");
      const who = seen(r.body);
      expect(who.email).toBe("bob");
      expect(decodeProtectedHeader(who.auth.replace(/^Bearer /, "")).alg).toBe("RS256");
    } finally {
      await ctx.close();
    }
  }, 120_000);
});
