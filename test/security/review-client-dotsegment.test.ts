/**
 * Review finding: the client put caller-supplied ids and role names into the path with
 * encodeURIComponent alone, which leaves "." and ".." as they are; URL parsing then
 * resolves them as dot-segments. `revokeRole(id, "..")` (or `mcias ctl role revoke
 * --id X --role ..`) became DELETE /v1/accounts/X/ and deleted the account.
 * A dot-segment (or empty) path parameter must be refused before any request.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { McIasClient } from "../../src/client";
import { ADMIN_PASSWORD, createHuman, runMcias, type TestServer, useServer } from "../helpers/server";

let s: TestServer;
useServer((srv) => (s = srv));

test("client: dot-segment and empty path parameters are refused; nothing changes on the server", async () => {
  const admin = await s.adminToken();
  const id = await createHuman(s, "victim", "victim-password-123", ["ops"]);
  const c = new McIasClient({ serverUrl: s.url, caCert: readFileSync(join(s.dir, "server.crt"), "utf8"), token: admin });
  for (const bad of ["..", ".", ""]) {
    await expect((async () => c.revokeRole(id, bad))()).rejects.toThrow(TypeError);
    await expect((async () => c.deleteAccount(bad))()).rejects.toThrow(TypeError);
  }
  const r = await s.call("GET", `/v1/accounts/${id}`, { token: admin });
  expect(r.status).toBe(200);
  expect(r.body.status).toBe("active");
  expect(r.body.roles).toEqual(["ops"]);
}, 60_000);

test("ctl role revoke --role .. does not delete the account", async () => {
  const admin = await s.login("admin", ADMIN_PASSWORD);
  const id = await createHuman(s, "victim2", "victim2-password-123");
  const out = await runMcias(["ctl", "role", "revoke", "--id", id, "--role", "..", "--server", s.url, "--cacert", join(s.dir, "server.crt"), "--token", admin], {
    env: { XDG_CONFIG_HOME: s.dir, MCIAS_TOKEN: "", MCIAS_SERVER: "", MCIAS_CACERT: "" },
  });
  expect(out.code).not.toBe(0);
  const r = await s.call("GET", `/v1/accounts/${id}`, { token: admin });
  expect(r.body.status).toBe("active");
}, 60_000);
