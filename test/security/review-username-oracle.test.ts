/**
 * Review finding: the console's username lookups (audit filter, delegate and grant
 * forms) answered "no such account" for unknown names but 403 for existing ones, so
 * any signed-in user could tell which usernames exist. Both must look the same to a
 * caller who may not list accounts; an admin still gets the helpful answer.
 */
import { expect, test } from "bun:test";
import { createHuman, type TestServer, useServer } from "../helpers/server";

let s: TestServer;
useServer((srv) => (s = srv));

const page = (path: string, jwt: string) => s.fetch(path, { headers: { cookie: `mcias_session=${jwt}` }, redirect: "manual" });

test("audit filter by username: an unknown name and an existing one answer alike to a non-admin", async () => {
  await createHuman(s, "bob");
  await createHuman(s, "eve");
  const eve = await s.login("eve", "eve-password-123");
  const known = await page("/audit?account=bob", eve);
  const unknown = await page("/audit?account=nosuchuser", eve);
  expect(known.status).toBe(403);
  expect(unknown.status).toBe(known.status);
  expect(await unknown.text()).not.toContain("No account with that username");

  const admin = await s.adminToken();
  expect((await page("/audit?account=bob", admin)).status).toBe(200);
  expect((await page("/audit?account=nosuchuser", admin)).status).toBe(400);
}, 60_000);
