/**
 * Issue 13 defect 8: a deleted account is no delegate and no credential grantee any
 * more — deleting it removes its grants (audited), and a grant row left from before
 * (an older database) is not listed.
 */
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { join } from "node:path";
import { createHuman, createSystem, useServer, type TestServer } from "../helpers/server";

let s: TestServer;
useServer((x) => (s = x));

test("deleting a grantee removes it from delegate and access-grant lists, audited", async () => {
  const tok = await s.adminToken();
  const svc = await createSystem(s, "grants-svc");
  const bob = await createHuman(s, "grants-bob");
  const ann = await createHuman(s, "grants-ann");
  expect((await s.call("PUT", `/v1/accounts/${svc}/pgcreds`, { token: tok, json: { host: "db", port: 5432, database: "d", username: "u", password: "p" } })).status).toBe(204);
  for (const g of [bob, ann]) {
    expect((await s.call("POST", `/v1/accounts/${svc}/token/delegates`, { token: tok, json: { grantee_id: g } })).status).toBeLessThan(300);
    expect((await s.call("POST", `/v1/accounts/${svc}/pgcreds/access`, { token: tok, json: { grantee_id: g } })).status).toBeLessThan(300);
  }
  expect((await s.call("DELETE", `/v1/accounts/${bob}`, { token: tok })).status).toBe(204);
  const delegates = (await s.call("GET", `/v1/accounts/${svc}/token/delegates`, { token: tok })).body;
  expect(delegates.map((d: { username: string }) => d.username)).toEqual(["grants-ann"]);
  const access = (await s.call("GET", `/v1/accounts/${svc}/pgcreds/access`, { token: tok })).body;
  expect(access.map((d: { username: string }) => d.username)).toEqual(["grants-ann"]);
  const audit = (await s.call("GET", `/v1/audit?account=grants-svc`, { token: tok })).body.events;
  const removed = audit.filter((e: { type: string; details: Record<string, unknown> }) => e.details.reason === "account_deleted");
  expect(removed.map((e: { type: string }) => e.type).sort()).toEqual(["pgcred_access_revoked", "token_delegate_revoked"]);
  expect(removed.every((e: { details: Record<string, unknown> }) => e.details.grantee === "grants-bob")).toBe(true);
});

test("a grant row of an already-deleted account (left by an older version) is not listed", async () => {
  const tok = await s.adminToken();
  const svc = await createSystem(s, "grants-svc2");
  const old = await createHuman(s, "grants-old");
  expect((await s.call("DELETE", `/v1/accounts/${old}`, { token: tok })).status).toBe(204);
  const db = new Database(join(s.dir, "mcias.db"));
  try {
    db.run("PRAGMA busy_timeout = 5000");
    db.run("INSERT INTO service_account_delegates (account_id, grantee_id, granted_at, granted_by) VALUES (?, ?, ?, NULL)", [svc, old, new Date().toISOString()]);
    db.run("INSERT INTO pg_credential_access (account_id, grantee_id, granted_at, granted_by) VALUES (?, ?, ?, NULL)", [svc, old, new Date().toISOString()]);
  } finally { db.close(); }
  expect((await s.call("GET", `/v1/accounts/${svc}/token/delegates`, { token: tok })).body).toEqual([]);
  expect((await s.call("GET", `/v1/accounts/${svc}/pgcreds/access`, { token: tok })).body).toEqual([]);
});
