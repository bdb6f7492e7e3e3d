/**
 * @mcias/client under Node ≥ 20: the client bundled for Node (`bun build --target=node`,
 * undici included), driven by a small Node script against the real server. Node has no
 * `tls.ca` fetch option, so this proves the undici Agent path works with a custom CA.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN_PASSWORD, ROOT, removeDir, type TestServer, useServer } from "../helpers/server";

let s: TestServer;
let work: string;
const node = Bun.which("node");

useServer((x) => { s = x; });
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "mcias-client-node-"));
  const b = Bun.spawnSync([process.execPath, "build", join(ROOT, "src/client/index.ts"), "--target=node", "--format=esm", "--outfile", join(work, "client.mjs")], { stderr: "pipe" });
  if (b.exitCode !== 0) throw new Error(`bundle failed: ${b.stderr.toString()}`);
});
afterAll(() => { removeDir(work); });

const SCRIPT = `
import { readFileSync } from "node:fs";
import * as m from "./client.mjs";
const [url, caPath, password] = process.argv.slice(2);
const ca = readFileSync(caPath, "utf8");
const out = { node: process.versions.node, bun: typeof globalThis.Bun !== "undefined" };
const c = new m.McIasClient({ serverUrl: url, caCert: ca });
out.health = await c.health();
const t = await c.login("admin", password);
out.me = (await c.me()).username;
out.valid = (await c.validateToken(t.token)).valid;
out.jwks = (await c.jwks()).keys.length;
const acct = await c.createAccount({ username: "node-sys", account_type: "system" });
out.tags = await c.setTags(acct.id, ["from:node"]);
const errOf = async (f) => { try { await f(); return null; } catch (e) { return { name: e.constructor.name, status: e.status, code: e.code, isBase: e instanceof m.McIasError, msgHasSecret: String(e.message).includes(password) }; } };
out.notFound = await errOf(() => c.getAccount("00000000-0000-4000-8000-000000000000"));
out.unauthorized = await errOf(() => new m.McIasClient({ serverUrl: url, caCert: ca }).login("admin", password + "x"));
out.noCa = await errOf(() => new m.McIasClient({ serverUrl: url }).health());
await c.logout();
out.afterLogout = (await c.validateToken(t.token)).valid;
console.log(JSON.stringify(out));
`;

test.skipIf(!node)("the Node bundle logs in, reads, writes and maps errors over TLS with a custom CA", async () => {
  writeFileSync(join(work, "run.mjs"), SCRIPT);
  const p = Bun.spawn([node!, join(work, "run.mjs"), s.url, join(s.dir, "server.crt"), ADMIN_PASSWORD], { cwd: work, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  const out = JSON.parse(stdout);
  expect(Number(out.node.split(".")[0])).toBeGreaterThanOrEqual(20);
  expect(out.bun).toBe(false);
  expect(out).toMatchObject({
    health: { status: "ok" }, me: "admin", valid: true, jwks: 1, tags: ["from:node"], afterLogout: false,
    notFound: { name: "NotFoundError", status: 404, code: "not_found", isBase: true, msgHasSecret: false },
    unauthorized: { name: "UnauthorizedError", status: 401, code: "unauthorized", isBase: true, msgHasSecret: false },
    noCa: { name: "TransportError", status: 0, code: "transport", isBase: true },
  });
}, 60_000);
