/** The console lists exactly the service accounts a person may manage, delegates included. */
import { expect, test } from "bun:test";
import { createHuman, createSystem, type TestServer, useServer } from "../helpers/server";
import { CSRF_FIELD } from "../../src/ui/csrf";

let s: TestServer;
useServer((x) => { s = x; });

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

test("a delegate, a role holder and an unrelated person each see the right services", async () => {
  const admin = await s.adminToken();
  const billing = await createSystem(s, "billing-app");
  await createSystem(s, "photos-app");
  const dee = await createHuman(s, "dee");
  await createHuman(s, "ron", "ron-password-123", ["photos-app"]);
  await createHuman(s, "uma");
  expect((await s.call("POST", `/v1/accounts/${billing}/token/delegates`, { token: admin, json: { grantee_id: dee } })).status).toBe(201);

  const list = async (u: string) => (await (await s.fetch("/services", { headers: { cookie: await consoleLogin(u, `${u}-password-123`) } })).text());
  const d = await list("dee");
  expect(d).toContain("billing-app");
  expect(d).not.toContain("photos-app");
  const r = await list("ron");
  expect(r).toContain("photos-app");
  expect(r).not.toContain("billing-app");
  const u = await list("uma");
  expect(u).not.toContain("billing-app");
  expect(u).not.toContain("photos-app");
  // listing is not an attempt: no policy_deny rows for what a person cannot see
  const denies = (await s.call("GET", "/v1/audit?type=policy_deny", { token: admin })).body.events;
  expect(denies).toEqual([]);
});
