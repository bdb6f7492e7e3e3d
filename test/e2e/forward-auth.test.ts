/**
 * SPEC §16 forward-auth, spoken to directly as a proxy would (the real-proxy and
 * browser flows are in test/browser/forward-auth.test.ts): identity headers on 200,
 * 401 for API clients, 302 (or nginx's 401 + Location) for browsers, 403 when not
 * allowed (audited), forwarded headers believed only from a trusted proxy, forged or
 * expired cookies, revoked tokens and deactivated accounts refused on the next request,
 * and no open redirect through `rd`.
 */
import { describe, expect, test } from "bun:test";
import { createHuman, useServer, type TestServer } from "../helpers/server";

let s: TestServer;
useServer((x) => (s = x), {
  sections: { server: `trusted_proxies = ["127.0.0.1"]`, tokens: `issuer = "https://auth.mcias.test"` },
  extraToml: `[sso]
cookie_domain = ".mcias.test"

[[sso.apps]]
host = "photos.mcias.test"
name = "Photos"
roles = ["photos"]

[[sso.apps]]
host = "wiki.mcias.test"

[[sso.apps]]
host = "wiki.mcias.test"
paths = ["/admin"]
roles = ["wiki-admin"]`,
});

const fa = (headers: Record<string, string>, method = "GET") =>
  s.fetch("/v1/authz/forward-auth", { method, headers: { "x-forwarded-for": "203.0.113.9", ...headers }, redirect: "manual" });
const proxied = (host: string, uri = "/", extra: Record<string, string> = {}) =>
  ({ "x-forwarded-proto": "https", "x-forwarded-host": host, "x-forwarded-uri": uri, "x-forwarded-method": "GET", ...extra });
const cookie = (token: string) => ({ cookie: `mcias_session=${token}` });

describe("forward-auth", () => {
  let alice = "", aliceId = "", bob = "";
  test("setup: alice holds photos, bob holds nothing", async () => {
    aliceId = await createHuman(s, "fa-alice", "fa-alice-password-1", ["photos"]);
    await createHuman(s, "fa-bob", "fa-bob-password-1");
    alice = await s.login("fa-alice", "fa-alice-password-1");
    bob = await s.login("fa-bob", "fa-bob-password-1");
  });

  test("allowed: 200 with the identity headers, from the cookie or a bearer token, GET and HEAD", async () => {
    for (const creds of [cookie(alice), { authorization: `Bearer ${alice}` }]) {
      const r = await fa({ ...proxied("photos.mcias.test", "/album/1?x=2"), ...creds });
      expect(r.status).toBe(200);
      expect(r.headers.get("remote-user")).toBe("fa-alice");
      expect(r.headers.get("remote-name")).toBe("fa-alice");
      expect(r.headers.get("remote-groups")).toBe("photos");
      expect(r.headers.get("cache-control")).toBe("no-store");
    }
    const head = await fa({ ...proxied("photos.mcias.test"), ...cookie(alice) }, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("remote-user")).toBe("fa-alice");
  });

  test("Remote-Name and Remote-Email carry the account's display name and email (ASCII only; else the username / empty)", async () => {
    const admin = await s.adminToken();
    for (const [username, display_name, wantName] of [["fa-gus", "Gus Gray", "Gus Gray"], ["fa-jose", "José Núñez", "fa-jose"]] as const) {
      const r = await s.call("POST", "/v1/accounts", { token: admin, json: { username, account_type: "human", password: `${username}-password-1`, roles: ["photos"], email: `${username}@mcias.test`, display_name } });
      expect(r.status).toBe(201);
      const t = await s.login(username, `${username}-password-1`);
      const a = await fa({ ...proxied("photos.mcias.test"), ...cookie(t) });
      expect(a.status).toBe(200);
      expect(a.headers.get("remote-user")).toBe(username);
      expect(a.headers.get("remote-name")).toBe(wantName);
      expect(a.headers.get("remote-email")).toBe(`${username}@mcias.test`);
    }
  });

  test("an app without roles is open to any signed-in account; a path entry with roles narrows it", async () => {
    expect((await fa({ ...proxied("wiki.mcias.test", "/page"), ...cookie(bob) })).status).toBe(200);
    expect((await fa({ ...proxied("wiki.mcias.test", "/admin/users"), ...cookie(bob) })).status).toBe(403);
    expect((await fa({ ...proxied("wiki.mcias.test", "/administrator"), ...cookie(bob) })).status).toBe(200); // not under /admin/
  });

  test("a path another server would read as /admin is decided as /admin too (slashes, case, ;params, encoded / and ..)", async () => {
    for (const uri of ["//admin/users", "/Admin/users", "/ADMIN", "/admin;x/users", "/admin%2fusers", "/x/..%2fadmin/users", "/x/%2e%2e/admin", "/./admin/"]) {
      expect((await fa({ ...proxied("wiki.mcias.test", uri), ...cookie(bob) })).status, uri).toBe(403);
      expect((await fa({ ...proxied("wiki.mcias.test", uri), ...cookie(alice) })).status, uri).toBe(403);
    }
    // Whoever holds wiki-admin passes under every reading.
    await createHuman(s, "fa-dave", "fa-dave-password-1", ["wiki-admin"]);
    const dave = await s.login("fa-dave", "fa-dave-password-1");
    for (const uri of ["//admin/users", "/Admin/users", "/admin;x/users", "/page"]) {
      expect((await fa({ ...proxied("wiki.mcias.test", uri), ...cookie(dave) })).status, uri).toBe(200);
    }
    // An ordinary encoded path is just a path.
    expect((await fa({ ...proxied("wiki.mcias.test", "/My%20Page"), ...cookie(bob) })).status).toBe(200);
  });

  test("signed in but without the app's role: 403, audited as policy_deny", async () => {
    const r = await fa({ ...proxied("photos.mcias.test"), ...cookie(bob) });
    expect(r.status).toBe(403);
    expect(await r.text()).toBe(""); // an API client: the status says it all
    const page = await fa({ ...proxied("photos.mcias.test"), ...cookie(bob), accept: "text/html" });
    expect(page.status).toBe(403);
    expect(page.headers.get("content-type")).toStartWith("text/html");
    const body = await page.text();
    expect(body).toContain("<strong>fa-bob</strong>");
    expect(body).toContain('href="https://auth.mcias.test/"');
    const ev = (await s.call("GET", "/v1/audit?type=policy_deny", { token: await s.adminToken() })).body.events;
    expect(ev.some((e: { actor: string; details: { action?: string; app?: string } }) =>
      e.actor === "fa-bob" && e.details.action === "apps:access" && e.details.app === "photos.mcias.test")).toBe(true);
  });

  test("signed out: 401 for an API client, 302 to the portal login for a browser, 401 + Location for nginx", async () => {
    expect((await fa(proxied("photos.mcias.test", "/a"))).status).toBe(401);
    const browser = await fa({ ...proxied("photos.mcias.test", "/a?b=c"), accept: "text/html,application/xhtml+xml" });
    expect(browser.status).toBe(302);
    expect(browser.headers.get("location")).toBe(`https://auth.mcias.test/login?rd=${encodeURIComponent("https://photos.mcias.test/a?b=c")}`);
    const nginx = await fa({ "x-original-url": "https://photos.mcias.test/a", accept: "text/html" });
    expect(nginx.status).toBe(401);
    expect(nginx.headers.get("location")).toStartWith("https://auth.mcias.test/login?rd=");
  });

  test("an unknown host is refused, signed in or not", async () => {
    expect((await fa({ ...proxied("evil.example.com"), ...cookie(alice) })).status).toBe(403);
    expect((await fa({ ...proxied("evil.example.com"), accept: "text/html" })).status).toBe(403);
  });

  test("forwarded headers from an untrusted peer are ignored: 400, nothing about the app", async () => {
    const untrusted = await startUntrusted();
    try {
      const r = await untrusted.fetch("/v1/authz/forward-auth", { headers: { ...proxied("photos.mcias.test"), ...cookie(alice) } });
      expect(r.status).toBe(400);
      expect(r.headers.get("remote-user")).toBeNull();
    } finally {
      await untrusted.stop();
    }
  });

  test("forged, tampered and expired-looking cookies are refused", async () => {
    const [h, p, sig] = alice.split(".");
    for (const bad of ["garbage", `${h}.${p}.${sig!.slice(0, 20)}${sig![20] === "A" ? "B" : "A"}${sig!.slice(21)}`, `${h}.${Buffer.from('{"sub":"x"}').toString("base64url")}.${sig}`, ""]) {
      expect((await fa({ ...proxied("photos.mcias.test"), ...cookie(bad) })).status, bad).toBe(401);
    }
  });

  test("a revoked token and a deactivated account are refused on the next request", async () => {
    const t = await s.login("fa-alice", "fa-alice-password-1");
    expect((await fa({ ...proxied("photos.mcias.test"), ...cookie(t) })).status).toBe(200);
    expect((await s.call("POST", "/v1/auth/logout", { token: t })).status).toBe(204);
    expect((await fa({ ...proxied("photos.mcias.test"), ...cookie(t) })).status).toBe(401);
    expect((await fa({ ...proxied("photos.mcias.test"), ...cookie(alice) })).status).toBe(200);
    expect((await s.call("PATCH", `/v1/accounts/${aliceId}`, { token: await s.adminToken(), json: { status: "inactive" } })).status).toBe(200);
    expect((await fa({ ...proxied("photos.mcias.test"), ...cookie(alice) })).status).toBe(401);
  });

  test("a token minted for an audience opens only the app of that name", async () => {
    const loginFor = async (audience: string) =>
      (await s.call("POST", "/v1/auth/login", { json: { username: "fa-bob", password: "fa-bob-password-1", audience } })).body.token as string;
    const forWiki = await loginFor("wiki.mcias.test");
    expect((await fa({ ...proxied("wiki.mcias.test"), authorization: `Bearer ${forWiki}` })).status).toBe(200);
    const forOther = await loginFor("grafana.mcias.test");
    expect((await fa({ ...proxied("wiki.mcias.test"), authorization: `Bearer ${forOther}` })).status).toBe(401);
    expect((await fa({ ...proxied("wiki.mcias.test"), ...cookie(forOther), accept: "text/html" })).status).toBe(302);
  });

  test("stored policy rules decide apps too: a deny rule closes an app for a role", async () => {
    const admin = await s.adminToken();
    const carol = await createHuman(s, "fa-carol", "fa-carol-password-1", ["photos", "guest"]);
    void carol;
    const t = await s.login("fa-carol", "fa-carol-password-1");
    expect((await fa({ ...proxied("photos.mcias.test"), ...cookie(t) })).status).toBe(200);
    const rule = await s.call("POST", "/v1/policy/rules", { token: admin, json: {
      description: "guests may not open photos", effect: "deny", match: { roles: ["guest"], actions: ["apps:access"], resource_types: ["app"], services: ["photos.mcias.test"] },
    } });
    expect(rule.status).toBe(201);
    expect((await fa({ ...proxied("photos.mcias.test"), ...cookie(t) })).status).toBe(403);
    const ev = await s.call("POST", "/v1/policy/evaluate", { token: admin, json: { subject_id: carol, action: "apps:access", resource: { type: "app", id: "photos.mcias.test" } } });
    expect(ev.body).toMatchObject({ effect: "deny", rule_id: rule.body.id });
  });
});

describe("the login page's rd", () => {
  test("only hosts under the cookie domain: anything else falls back to the dashboard", async () => {
    const page = async (rd: string) => (await (await s.fetch(`/login?rd=${encodeURIComponent(rd)}`)).text());
    expect(await page("https://photos.mcias.test/x")).toContain('name="rd" value="https://photos.mcias.test/x"');
    for (const bad of ["https://evil.example.com/", "http://photos.mcias.test/", "https://mcias.test.evil.com/", "//evil.example.com/", "javascript:alert(1)", "https://user:pw@photos.mcias.test/"]) {
      expect(await page(bad)).not.toContain('name="rd"');
    }
  });
});

describe("arriving at the login page from another site", () => {
  test("a cross-site arrival with a valid rd gets one same-site bounce to the same login URL; anything else the form", async () => {
    const rd = "https://photos.mcias.test/a?b=c";
    const bounce = await s.fetch(`/login?rd=${encodeURIComponent(rd)}`, { headers: { "sec-fetch-site": "cross-site" } });
    const text = await bounce.text();
    expect(bounce.status).toBe(200);
    expect(text).toContain(`<meta http-equiv="refresh" content="0;url=/login?rd=${encodeURIComponent(rd).replaceAll("&", "&amp;")}">`);
    expect(text).not.toContain('name="password"');
    expect(bounce.headers.get("content-security-policy")).toContain("default-src 'self'");
    // Same-site (the bounce itself), a foreign rd, or no rd: the form, no bounce.
    for (const [q, site] of [[`?rd=${encodeURIComponent(rd)}`, "same-origin"], [`?rd=${encodeURIComponent("https://evil.example.com/")}`, "cross-site"], ["", "cross-site"]] as const) {
      const t = await (await s.fetch(`/login${q}`, { headers: { "sec-fetch-site": site } })).text();
      expect(t).toContain('name="password"');
      expect(t).not.toContain("http-equiv");
    }
  });
});

async function startUntrusted() {
  const { startServer } = await import("../helpers/server");
  return startServer({ extraToml: `[sso]\n[[sso.apps]]\nhost = "photos.mcias.test"`, sections: { tokens: `issuer = "https://auth.mcias.test"` } });
}
