/**
 * Review finding: one API call bricked authorization for good. A stored deny that
 * matches the admins' `policy:write` (e.g. `{"effect":"deny","match":{}}`) beats the
 * built-in admin rule, so nobody can delete it again, and `mcias db` (the break-glass
 * tool of SPEC §10) has no policy command: `account recover --admin` cannot help, since
 * deny wins over admin too. Only hand-editing the SQLite file got a server back.
 *
 * A rule write that would deny the caller `policy:write` (now, or once its not_before
 * arrives) must be refused (409) with nothing changed, like the last-admin guard.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { removeDir, startServer, type TestServer } from "../helpers/server";

let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startServer();
  admin = await s.adminToken();
}, 60_000);
afterAll(async () => {
  await s?.stop();
  if (s) removeDir(s.dir);
});

const rules = async () => (await s.call("GET", "/v1/policy/rules", { token: admin })).body as { id: number }[];

test("a deny that would take policy:write from the caller is refused; nothing changes", async () => {
  const before = await rules();
  const future = new Date(Date.now() + 3_600_000).toISOString();
  for (const rule of [
    { description: "deny everything", effect: "deny", match: {} },
    { description: "no more rule edits", effect: "deny", match: { actions: ["policy:write"] } },
    { description: "admins frozen tonight", effect: "deny", not_before: future, match: { roles: ["admin"] } },
  ]) {
    const r = await s.call("POST", "/v1/policy/rules", { token: admin, json: rule });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("conflict");
  }
  expect(await rules()).toEqual(before);
  // The admin can still write rules.
  const ok = await s.call("POST", "/v1/policy/rules", { token: admin, json: { description: "nobody seals", effect: "deny", match: { actions: ["vault:seal"] } } });
  expect(ok.status).toBe(201);
  // Widening an existing deny into a lockout through PATCH is refused as well.
  const widened = await s.call("PATCH", `/v1/policy/rules/${ok.body.id}`, { token: admin, json: { match: {} } });
  expect(widened.status).toBe(409);
  const after = await s.call("GET", `/v1/policy/rules/${ok.body.id}`, { token: admin });
  expect(after.body.match).toEqual({ actions: ["vault:seal"] });
  // Deleting it works: the server stays administrable.
  expect((await s.call("DELETE", `/v1/policy/rules/${ok.body.id}`, { token: admin })).status).toBe(204);
}, 60_000);
