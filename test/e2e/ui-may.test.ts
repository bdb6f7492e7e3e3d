/**
 * Issue 13 defect 3: every button and state in the console follows the policy decision
 * ("may I?" asked of the engine with the resource's real facts), and "not allowed to
 * read" is not shown as "none".
 */
import { expect, test } from "bun:test";
import { CSRF_FIELD } from "../../src/ui/csrf";
import { ADMIN_PASSWORD, createHuman, createSystem, useServer, type TestServer } from "../helpers/server";

let s: TestServer;
useServer((x) => (s = x));

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
const page = async (cookie: string, path: string) => {
  const r = await s.fetch(path, { headers: { cookie } });
  expect(r.status).toBe(200);
  return r.text();
};

test("a reader who may not issue tokens or read credentials sees neither button nor a false 'none'", async () => {
  const admin = await s.adminToken();
  const svc = await createSystem(s, "may-svc");
  expect((await s.call("PUT", `/v1/accounts/${svc}/pgcreds`, { token: admin, json: { host: "db", port: 5432, database: "d", username: "u", password: "p" } })).status).toBe(204);
  await createHuman(s, "may-reader", "may-reader-password-1", ["readers"]);
  const rule = await s.call("POST", "/v1/policy/rules", { token: admin, json: { description: "readers read accounts", effect: "allow", match: { roles: ["readers"], actions: ["accounts:read"], resource_types: ["account"] } } });
  expect(rule.status).toBe(201);

  const reader = await consoleLogin("may-reader", "may-reader-password-1");
  const html = await page(reader, `/services/${svc}`);
  expect(html).toContain("may-svc");
  expect(html).not.toContain("Issue new token");
  expect(html).toContain("You may not issue this account's token.");
  expect(html).not.toContain("No Postgres credentials stored.");
  expect(html).toContain("You may not read this account's Postgres credentials.");
  expect(html).not.toContain("Store credentials");
  // And what the page hides is really refused.
  const csrf = new RegExp(`name="${CSRF_FIELD}" value="([^"]+)"`).exec(html)?.[1] ?? /content="([^"]+)" name="csrf-token"|name="csrf-token" content="([^"]+)"/.exec(html)?.slice(1).find(Boolean);
  expect(csrf).toBeTruthy();
  const tryIssue = await s.fetch(`/services/${svc}/token`, {
    method: "POST", headers: { cookie: reader, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ [CSRF_FIELD]: csrf! }).toString(),
  });
  expect(tryIssue.status).toBe(403);

  // The admin sees the button and the credential.
  const adminPage = await page(await consoleLogin("admin", ADMIN_PASSWORD), `/services/${svc}`);
  expect(adminPage).toContain("Issue new token");
  expect(adminPage).toContain("Show with password");
  expect(adminPage).not.toContain("You may not");
});

test("a delegate sees the issue button; the nav follows the policy", async () => {
  const admin = await s.adminToken();
  const svc = await createSystem(s, "may-svc2");
  expect((await s.call("PUT", `/v1/accounts/${svc}/pgcreds`, { token: admin, json: { host: "db2", port: 5432, database: "d", username: "u", password: "p" } })).status).toBe(204);
  const dee = await createHuman(s, "may-dee");
  expect((await s.call("POST", `/v1/accounts/${svc}/token/delegates`, { token: admin, json: { grantee_id: dee } })).status).toBe(201);
  const gus = await createHuman(s, "may-gus", "may-gus-password-123", ["may-svc2"]);
  expect(gus).toBeTruthy();
  const d = await consoleLogin("may-dee", "may-dee-password-123");
  const dp = await page(d, `/services/${svc}`);
  expect(dp).toContain("Issue new token");
  const nav = /<nav[\s\S]*?<\/nav>/.exec(dp)![0];
  expect(nav).toContain("Service accounts");
  expect(nav).not.toContain(">Accounts<");
  expect(nav).not.toContain("Audit log");
  // An unrelated person has no service-accounts entry at all.
  await createHuman(s, "may-uma");
  const u = await page(await consoleLogin("may-uma", "may-uma-password-123"), "/");
  expect(/<nav[\s\S]*?<\/nav>/.exec(u)![0]).not.toContain("Service accounts");
});
