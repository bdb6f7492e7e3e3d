/**
 * SPEC §16 forward-auth end to end, with third parties nobody here wrote: a real nginx
 * (auth_request) and a real Caddy (forward_auth), configured from the files shipped in
 * dist/sso/, in front of a tiny upstream app that echoes the identity headers it is
 * given; MCIAS as the auth server; a real Chromium signing in through the real login
 * form. Host names *.mcias.test resolve to 127.0.0.1 inside Chromium; every listener is
 * on 127.0.0.1 with a random port; everything is stopped at the end.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createHuman, removeDir, ROOT, startServer, type TestServer } from "../helpers/server";

const CHROMIUM = "/usr/bin/chromium";
let s: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let upstream: ReturnType<typeof Bun.serve>;
const procs: Array<ReturnType<typeof Bun.spawn>> = [];
let nginxPort = 0, caddyPort = 0, mciasPort = 0;

async function freePort(): Promise<number> {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

async function waitForPort(port: number, what: string, proc: ReturnType<typeof Bun.spawn>, log: () => string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const c = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      c.end();
      return;
    } catch {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not start: ${log()}`);
      await Bun.sleep(50);
    }
  }
}

function nginxConfig(dir: string): string {
  const site = readFileSync(join(ROOT, "dist/sso/nginx.conf.example"), "utf8")
    .replace("listen 443 ssl;", `listen 127.0.0.1:${nginxPort} ssl;`)
    .replace("server_name photos.example.com;", "server_name photos.mcias.test;")
    .replace("https://photos.example.com$request_uri", `https://photos.mcias.test:${nginxPort}$request_uri`)
    .replace("/etc/ssl/photos.example.com.crt", join(s.dir, "server.crt"))
    .replace("/etc/ssl/photos.example.com.key", join(s.dir, "server.key"))
    .replace("https://auth.example.com/v1/authz/forward-auth", `https://127.0.0.1:${mciasPort}/v1/authz/forward-auth`)
    .replace("http://127.0.0.1:8080", `http://127.0.0.1:${upstream.port}`);
  // Every placeholder outside comments must have been replaced: the file is tested as shipped.
  if (site.split("\n").some((l) => !l.trim().startsWith("#") && /example\.com|:8080/.test(l))) throw new Error("dist/sso/nginx.conf.example changed shape");
  return `daemon off;
${process.getuid?.() === 0 ? "user root;" : ""}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${site}
}
`;
}

function caddyConfig(): string {
  return `{
	admin off
	auto_https off
}
` + readFileSync(join(ROOT, "dist/sso/Caddyfile.example"), "utf8")
    .replace("photos.example.com {", `https://wiki.mcias.test:${caddyPort} {\n\ttls ${join(s.dir, "server.crt")} ${join(s.dir, "server.key")}`)
    .replace("forward_auth https://auth.example.com {", `forward_auth https://127.0.0.1:${mciasPort} {`)
    .replace("# transport http {", "transport http {")
    .replace("# \ttls_trusted_ca_certs /etc/mcias/ca.pem", `\ttls_trusted_ca_certs ${join(s.dir, "server.crt")}`)
    .replace("# }", "}")
    .replace("reverse_proxy 127.0.0.1:8080", `reverse_proxy 127.0.0.1:${upstream.port}`);
}

beforeAll(async () => {
  [mciasPort, nginxPort, caddyPort] = [await freePort(), await freePort(), await freePort()];
  const portal = `https://auth.mcias.test:${mciasPort}`;
  s = await startServer({
    listen: `127.0.0.1:${mciasPort}`,
    certNames: ["auth.mcias.test", "photos.mcias.test", "wiki.mcias.test"],
    sections: { server: `trusted_proxies = ["127.0.0.1"]`, tokens: `issuer = "${portal}"` },
    extraToml: `[sso]\ncookie_domain = ".mcias.test"\n\n[[sso.apps]]\nhost = "photos.mcias.test"\nname = "Photos"\nroles = ["photos"]\n\n[[sso.apps]]\nhost = "wiki.mcias.test"\nname = "Wiki"\n\n[[sso.apps]]\nhost = "wiki.mcias.test"\npaths = ["/admin"]\nroles = ["wiki-admin"]`,
  });
  await createHuman(s, "fa-amy", "fa-amy-password-1", ["photos"]);
  await createHuman(s, "fa-ben", "fa-ben-password-1");

  upstream = Bun.serve({
    hostname: "127.0.0.1", port: 0,
    fetch: (req) => new URL(req.url).pathname === "/link.html"
      ? new Response(`<!doctype html><title>elsewhere</title><a id="go" href="${photos()}">photos</a>`, { headers: { "content-type": "text/html" } })
      : new URL(req.url).pathname === "/headers.json"
      ? Response.json(Object.fromEntries(["remote-user", "remote-name", "remote-email", "remote-groups"].map((k) => [k, req.headers.get(k)])))
      : new Response(`<!doctype html><title>app</title><p id="who">${req.headers.get("remote-user") ?? "nobody"}</p><p id="groups">${req.headers.get("remote-groups") ?? ""}</p>`, { headers: { "content-type": "text/html" } }),
  });

  const ndir = join(s.dir, "nginx");
  mkdirSync(ndir);
  writeFileSync(join(ndir, "nginx.conf"), nginxConfig(ndir));
  const nginx = Bun.spawn(["nginx", "-c", join(ndir, "nginx.conf"), "-p", ndir], { stdout: "ignore", stderr: "pipe" });
  procs.push(nginx);
  await waitForPort(nginxPort, "nginx", nginx, () => { try { return readFileSync(join(ndir, "error.log"), "utf8"); } catch { return ""; } });

  const cdir = join(s.dir, "caddy");
  mkdirSync(cdir);
  writeFileSync(join(cdir, "Caddyfile"), caddyConfig());
  const caddy = Bun.spawn(["caddy", "run", "--config", join(cdir, "Caddyfile"), "--adapter", "caddyfile"], {
    stdout: "ignore", stderr: "pipe", env: { ...Bun.env, HOME: cdir, XDG_DATA_HOME: cdir, XDG_CONFIG_HOME: cdir },
  });
  procs.push(caddy);
  let caddyLog = "";
  void new Response(caddy.stderr).text().then((t) => (caddyLog = t));
  await waitForPort(caddyPort, "caddy", caddy, () => caddyLog);

  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-default-apps", "--disable-sync",
      "--host-resolver-rules=MAP *.mcias.test 127.0.0.1, MAP *.other.test 127.0.0.1"],
  });
  context = await browser.newContext({ ignoreHTTPSErrors: true });
  page = await context.newPage();
}, 90_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  for (const p of procs) { try { p.kill("SIGTERM"); } catch { /* gone */ } }
  await Promise.all(procs.map((p) => p.exited));
  upstream?.stop(true);
  if (s) { await s.stop(); removeDir(s.dir); }
}, 60_000);

const photos = () => `https://photos.mcias.test:${nginxPort}/`;
const wiki = () => `https://wiki.mcias.test:${caddyPort}/`;

async function signIn(user: string, password: string) {
  await page.fill("#login-username", user);
  await page.fill("#login-password", password);
  const before = page.url();
  await page.click("form[aria-label='Sign in'] button[type=submit]");
  await page.waitForURL((u) => u.href !== before, { timeout: 15_000 });
  await page.waitForLoadState("load");
}

describe("an app behind nginx and one behind Caddy, protected by MCIAS", () => {
  test("signed out at the app → MCIAS login → back at the app, which sees Remote-User", async () => {
    await page.goto(photos() + "album?id=7");
    expect(new URL(page.url()).host).toBe(`auth.mcias.test:${mciasPort}`);
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(new URL(page.url()).searchParams.get("rd")).toBe(`${photos()}album?id=7`);
    await signIn("fa-amy", "fa-amy-password-1");
    expect(page.url()).toBe(`${photos()}album?id=7`);
    expect(await page.textContent("#who")).toBe("fa-amy");
    expect(await page.textContent("#groups")).toBe("photos");
  }, 60_000);

  test("the same session opens the app behind Caddy (cookie scoped to the parent domain)", async () => {
    await page.goto(wiki());
    expect(page.url()).toBe(wiki());
    expect(await page.textContent("#who")).toBe("fa-amy");
  }, 30_000);

  test("the dashboard lists the apps the user may open", async () => {
    await page.goto(`${s.url.replace("127.0.0.1", "auth.mcias.test")}/`);
    const links = await page.$$eval("ul.apps a", (as) => as.map((a) => (a as unknown as { textContent: string }).textContent));
    expect(links).toEqual(["Photos", "Wiki"]);
  }, 30_000);

  test("a link from another site opens the app signed in (the SameSite=Strict session is fetched by one same-site step)", async () => {
    await page.goto(photos());
    expect(await page.textContent("#who")).toBe("fa-amy"); // signed in, followed from the same site
    await page.goto(`http://elsewhere.other.test:${upstream.port}/link.html`);
    const seen: string[] = [];
    page.on("framenavigated", (f) => { if (f === page.mainFrame()) seen.push(f.url()); });
    await page.click("#go");
    await page.waitForURL((u) => u.href === photos(), { timeout: 15_000 });
    await page.waitForLoadState("load");
    expect(await page.textContent("#who")).toBe("fa-amy");
    // It went through /login (the bounce page), and on to the app without a form.
    expect(seen.some((u) => new URL(u).pathname === "/login")).toBe(true);
    page.removeAllListeners("framenavigated");
  }, 30_000);

  test("logout at the portal signs the user out at the apps too", async () => {
    await page.goto(`https://auth.mcias.test:${mciasPort}/`);
    await page.click("form[action='/logout'] button");
    await page.waitForURL((u) => u.pathname === "/login", { timeout: 15_000 });
    await page.goto(photos());
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.goto(wiki());
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(new URL(page.url()).host).toBe(`auth.mcias.test:${mciasPort}`);
  }, 30_000);

  test("signed out, the same link from another site shows the login form (one bounce, no loop)", async () => {
    await page.goto(`http://elsewhere.other.test:${upstream.port}/link.html`);
    await page.click("#go");
    await page.waitForSelector("#login-username", { timeout: 15_000 });
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(new URL(page.url()).searchParams.get("rd")).toBe(photos());
  }, 30_000);

  test("a user without the app's role gets 403 at it, and the other app opens", async () => {
    await page.goto(photos());
    await signIn("fa-ben", "fa-ben-password-1");
    const r = await page.goto(photos());
    expect(r?.status()).toBe(403);
    expect((await page.goto(wiki()))?.status()).toBe(200);
    expect(await page.textContent("#who")).toBe("fa-ben");
    // Caddy passes MCIAS's 403 page on: who is signed in, and the way to the dashboard.
    expect((await page.goto(wiki() + "admin/"))?.status()).toBe(403);
    expect(await page.textContent("h1")).toBe("Not allowed");
    expect(await page.textContent("strong")).toBe("fa-ben");
  }, 30_000);

  test("an rd pointing elsewhere lands on the dashboard, never the foreign host", async () => {
    await context.clearCookies();
    await page.goto(`https://auth.mcias.test:${mciasPort}/login?rd=${encodeURIComponent("https://evil.example.com/steal")}`);
    await signIn("fa-amy", "fa-amy-password-1");
    expect(new URL(page.url()).host).toBe(`auth.mcias.test:${mciasPort}`);
    expect(new URL(page.url()).pathname).toBe("/");
  }, 30_000);

  test("identity headers a client sends itself never reach the app, through either proxy", async () => {
    // Neither account has an email, and fa-ben holds no role: MCIAS's Remote-Email (and
    // for fa-ben Remote-Groups) is empty, and a proxy that copies only non-empty values
    // would let the client's own header through to the app.
    const forged = { "Remote-User": "admin", "Remote-Name": "Admin", "Remote-Email": "admin@evil.test", "Remote-Groups": "admin" };
    const cases = [
      [photos(), nginxPort, await s.login("fa-amy", "fa-amy-password-1"), { "remote-user": "fa-amy", "remote-name": "fa-amy", "remote-email": "", "remote-groups": "photos" }],
      [wiki(), caddyPort, await s.login("fa-ben", "fa-ben-password-1"), { "remote-user": "fa-ben", "remote-name": "fa-ben", "remote-email": "", "remote-groups": "" }],
    ] as const;
    for (const [url, port, token, want] of cases) {
      const host = new URL(url).hostname;
      const p = Bun.spawn(["curl", "-sk", "-m", "10", "--resolve", `${host}:${port}:127.0.0.1`, "-H", `Cookie: mcias_session=${token}`,
        ...Object.entries(forged).flatMap(([k, v]) => ["-H", `${k}: ${v}`]), `${url}headers.json`], { stdout: "pipe" });
      const seen = JSON.parse(await new Response(p.stdout).text()) as Record<string, string | null>;
      expect(Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, v ?? ""])), url).toEqual(want);
    }
  }, 30_000);

  test("a Host header naming another app does not borrow that app's decision at nginx", async () => {
    // fa-ben may open the wiki but not photos; the photos server block is nginx's only
    // (so default) server: a request for it claiming Host: wiki must still be decided as photos.
    const ben = await s.login("fa-ben", "fa-ben-password-1");
    const p = Bun.spawn(["curl", "-sk", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}", "--resolve", `photos.mcias.test:${nginxPort}:127.0.0.1`,
      "-H", `Cookie: mcias_session=${ben}`, "-H", `Host: wiki.mcias.test:${caddyPort}`, `${photos()}headers.json`], { stdout: "pipe" });
    expect(await new Response(p.stdout).text()).toBe("403");
  }, 30_000);

  test("without JavaScript (no htmx) the sign-in still returns to the app", async () => {
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true, javaScriptEnabled: false });
    try {
      const p = await ctx.newPage();
      await p.goto(wiki() + "notes");
      expect(new URL(p.url()).pathname).toBe("/login");
      await p.fill("#login-username", "fa-ben");
      await p.fill("#login-password", "fa-ben-password-1");
      await p.click("form[aria-label='Sign in'] button[type=submit]");
      await p.waitForURL((u) => u.href === `${wiki()}notes`, { timeout: 15_000 });
      expect(await p.textContent("#who")).toBe("fa-ben");
    } finally {
      await ctx.close();
    }
  }, 30_000);

  test("an API client without credentials gets a plain 401 from both proxies", async () => {
    // curl: its --resolve maps the app names to 127.0.0.1 as DNS would.
    for (const [url, port] of [[photos(), nginxPort], [wiki(), caddyPort]] as const) {
      const host = new URL(url).hostname;
      const p = Bun.spawn(["curl", "-sk", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}", "--resolve", `${host}:${port}:127.0.0.1`, url], { stdout: "pipe" });
      expect(await new Response(p.stdout).text(), url).toBe("401");
    }
  }, 30_000);
});
