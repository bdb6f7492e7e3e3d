/**
 * Threat: a path segment that means something other than what it says — dot-segments
 * the client would let URL parsing resolve, inherited property names under /static.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { McIasClient } from "../../src/client";
import { ADMIN_PASSWORD, createHuman, runMcias, type TestServer, useServer } from "../helpers/server";

/**
 * Review finding: the client put caller-supplied ids and role names into the path with
 * encodeURIComponent alone, which leaves "." and ".." as they are; URL parsing then
 * resolves them as dot-segments. `revokeRole(id, "..")` (or `mcias ctl role revoke
 * --id X --role ..`) became DELETE /v1/accounts/X/ and deleted the account.
 * A dot-segment (or empty) path parameter must be refused before any request.
 */
describe("client path parameters", () => {
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
});

/**
 * Review finding: /static/:file looked the name up in a plain object, so
 * /static/__proto__ (or constructor, toString) reached Bun.file(undefined): an
 * unauthenticated 500 and an error log line on demand. Must be a plain 404.
 */
describe("static file names", () => {
  let s: TestServer;
  useServer((srv) => (s = srv));

  test("inherited property names under /static are 404, real assets still 200", async () => {
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]) {
      const r = await s.fetch(`/static/${name}`);
      expect(r.status).toBe(404);
      await r.body?.cancel();
    }
    const ok = await s.fetch("/static/app.css");
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
    expect(s.logs().some((l) => l.includes('"level":"error"'))).toBe(false);
  }, 60_000);
});
