/**
 * Issue 13 defect 9: the console hands a freshly issued service token over as a
 * one-time download (`GET /token/download/{nonce}`), beside the copy button: 5
 * minutes, first use only, audited `token_downloaded`; a second download is a 404.
 */
import { expect, test } from "bun:test";
import { CSRF_FIELD } from "../../src/ui/csrf";
import { ADMIN_PASSWORD, createHuman, createSystem, useServer, type TestServer } from "../helpers/server";

let s: TestServer;
useServer((x) => (s = x));

/** Signs in through the login form like a browser without JavaScript; returns a cookie header. */
async function consoleLogin(username: string, password: string): Promise<string> {
  const page = await s.fetch("/login");
  const cookies = page.headers.getSetCookie().map((c) => c.split(";")[0]!);
  const token = new RegExp(`name="${CSRF_FIELD}" value="([^"]+)"`).exec(await page.text())![1]!;
  const r = await s.fetch("/login", {
    method: "POST", redirect: "manual",
    headers: { cookie: cookies.join("; "), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username, password, [CSRF_FIELD]: token }).toString(),
  });
  expect(r.status).toBe(303);
  const session = r.headers.getSetCookie().find((c) => c.startsWith("mcias_session="))!.split(";")[0]!;
  return [...cookies, session].join("; ");
}

async function issueInConsole(cookie: string, id: string): Promise<{ token: string; link: string }> {
  const page = await (await s.fetch(`/services/${id}`, { headers: { cookie } })).text();
  const csrf = new RegExp(`name="${CSRF_FIELD}" value="([^"]+)"`).exec(page)![1]!;
  const r = await s.fetch(`/services/${id}/token`, {
    method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ [CSRF_FIELD]: csrf }).toString(),
  });
  expect(r.status).toBe(200);
  const body = await r.text();
  const token = /<code id="issued-token">([^<]+)<\/code>/.exec(body)![1]!;
  const link = /href="(\/token\/download\/[A-Za-z0-9_-]+)"/.exec(body)![1]!;
  expect(body).toContain('data-copy="issued-token"');
  return { token, link };
}

test("the issued-token page offers a one-time download: the token once, then 404; audited", async () => {
  const svc = await createSystem(s, "dl-svc");
  const cookie = await consoleLogin("admin", ADMIN_PASSWORD);
  const { token, link } = await issueInConsole(cookie, svc);
  const first = await s.fetch(link, { headers: { cookie } });
  expect(first.status).toBe(200);
  expect(first.headers.get("content-disposition")).toBe('attachment; filename="dl-svc.token"');
  expect(first.headers.get("cache-control")).toBe("no-store");
  expect(first.headers.get("content-type")).toStartWith("text/plain");
  expect(await first.text()).toBe(`${token}\n`);
  // The downloaded token is the valid one.
  expect((await s.call("POST", "/v1/token/validate", { json: { token } })).body.valid).toBe(true);
  const second = await s.fetch(link, { headers: { cookie } });
  expect(second.status).toBe(404);
  expect(await second.text()).toContain("already used or has expired");
  const events = (await s.call("GET", "/v1/audit?type=token_downloaded", { token: await s.adminToken() })).body.events;
  expect(events.length).toBe(1);
  expect(events[0].target).toBe("dl-svc");
  expect(JSON.stringify(events[0])).not.toContain(token);
  // The request log names the route, never the nonce (a usable link for its 5 minutes).
  const nonce = link.split("/").pop()!;
  const deadline = Date.now() + 5_000;
  const downloads = () => s.logs().filter((l) => l.includes('"msg":"request"') && l.includes("/token/download/"));
  // Request lines are written in batches (src/log.ts): wait for both downloads' lines.
  while (downloads().length < 2 && Date.now() < deadline) await Bun.sleep(10);
  expect(downloads().length).toBe(2);
  expect(downloads().every((l) => l.includes("/token/download/[redacted]"))).toBe(true);
  expect(s.logs().some((l) => l.includes(nonce))).toBe(false);
});

test("another person's nonce, an unknown nonce, and no session: no token", async () => {
  const svc = await createSystem(s, "dl-svc2");
  await createHuman(s, "dl-eve");
  const admin = await consoleLogin("admin", ADMIN_PASSWORD);
  const { token, link } = await issueInConsole(admin, svc);
  const eve = await consoleLogin("dl-eve", "dl-eve-password-123");
  const stolen = await s.fetch(link, { headers: { cookie: eve } });
  expect(stolen.status).toBe(404);
  expect(await stolen.text()).not.toContain(token);
  const anon = await s.fetch(link, { redirect: "manual" });
  expect(anon.status).toBe(303);
  expect(anon.headers.get("location")).toBe("/login");
  expect((await s.fetch("/token/download/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", { headers: { cookie: admin } })).status).toBe(404);
  // Still downloadable once by the one who issued it.
  expect(await (await s.fetch(link, { headers: { cookie: admin } })).text()).toBe(`${token}\n`);
});
