/**
 * The worked example end to end: a throwaway PostgreSQL 15 cluster on a random
 * loopback port (password auth over TCP), its credentials stored in MCIAS, a system
 * token issued, and examples/service-app run as a subprocess with nothing but
 * MCIAS_URL / MCIAS_TOKEN / MCIAS_CACERT. It must print a query result.
 *
 * PostgreSQL binaries missing is a failure, not a skip: CI installs them.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUN, createSystem, removeDir, ROOT, startServer, type TestServer } from "../helpers/server";

const PG_BIN = "/usr/lib/postgresql/15/bin";
const DB_NAME = "inventory";
const DB_USER = "inventory_app";
const DB_PASSWORD = `pg-${crypto.randomUUID()}`;

let s: TestServer;
let pgDir = "";
let pgPort = 0;
let pgProc: ReturnType<typeof Bun.spawn> | null = null;
const pgLog: string[] = [];

/** initdb and postgres refuse to run as root: run them as the `postgres` system user then. */
function asPg(cmd: string[]): string[] {
  return process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
}

async function run(cmd: string[], stdin?: string) {
  const p = Bun.spawn(cmd, { stdin: stdin === undefined ? "ignore" : new Blob([stdin]), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}: ${err}${out}`);
  return out;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

async function waitFor(cond: () => Promise<boolean>, ms: number, what: string) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}\n${pgLog.join("")}`);
}

async function startPostgres(): Promise<void> {
  for (const b of ["initdb", "postgres", "pg_ctl", "pg_isready", "psql"]) {
    if (!existsSync(join(PG_BIN, b))) throw new Error(`PostgreSQL 15 is required for this test: ${join(PG_BIN, b)} is missing`);
  }
  pgDir = mkdtempSync(join(tmpdir(), "mcias-pg-"));
  if (process.getuid?.() === 0) {
    const uid = Number((await run(["id", "-u", "postgres"])).trim());
    const gid = Number((await run(["id", "-g", "postgres"])).trim());
    chownSync(pgDir, uid, gid);
  }
  const data = join(pgDir, "data");
  // Local socket: trust (setup only); TCP: SCRAM, so the app must present the password.
  await run(asPg([join(PG_BIN, "initdb"), "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"]));
  pgPort = await freePort();
  // Foreground postmaster under `timeout`: it ends by itself even if this test run dies.
  pgProc = Bun.spawn(asPg(["timeout", "-k", "5", "300", join(PG_BIN, "postgres"), "-D", data, "-p", String(pgPort),
    "-k", pgDir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]), { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  void (async () => { for await (const c of pgProc!.stderr as ReadableStream<Uint8Array>) pgLog.push(new TextDecoder().decode(c)); })();
  await waitFor(async () => {
    if (pgProc!.exitCode !== null) throw new Error(`postgres exited ${pgProc!.exitCode}\n${pgLog.join("")}`);
    const p = Bun.spawn([join(PG_BIN, "pg_isready"), "-h", "127.0.0.1", "-p", String(pgPort), "-q"], { stdout: "ignore", stderr: "ignore" });
    return (await p.exited) === 0;
  }, 30_000, "postgres to accept connections");
  // The password goes through stdin, never a command-line argument.
  const pwLiteral = DB_PASSWORD.replaceAll("'", "''");
  await run(asPg([join(PG_BIN, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", pgDir, "-p", String(pgPort), "-U", "postgres", "-d", "postgres", "-f", "-"]),
    `CREATE ROLE ${DB_USER} LOGIN PASSWORD '${pwLiteral}';\nCREATE DATABASE ${DB_NAME} OWNER ${DB_USER};\n`);
}

async function stopPostgres(): Promise<void> {
  if (pgProc && pgProc.exitCode === null) {
    const data = join(pgDir, "data");
    const stop = Bun.spawn(asPg([join(PG_BIN, "pg_ctl"), "-D", data, "-m", "fast", "-w", "-t", "20", "stop"]), { stdout: "ignore", stderr: "ignore" });
    await stop.exited;
    if (pgProc.exitCode === null) pgProc.kill("SIGKILL");
    await pgProc.exited;
  }
  if (pgDir) rmSync(pgDir, { recursive: true, force: true });
}

beforeAll(async () => {
  await startPostgres();
  s = await startServer();
}, 90_000);

afterAll(async () => {
  await s?.stop();
  if (s) removeDir(s.dir);
  await stopPostgres();
}, 60_000);

async function runApp(env: Record<string, string>) {
  // Only the three MCIAS variables: nothing else tells the app how to reach its database.
  const p = Bun.spawn([BUN, join(ROOT, "examples/service-app/main.ts")], { env, stdout: "pipe", stderr: "pipe", cwd: ROOT });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { stdout, stderr, code };
}

test("the example service fetches its Postgres credentials from MCIAS and runs a query", async () => {
  const admin = await s.adminToken();
  const id = await createSystem(s, "inventory");
  const put = await s.call("PUT", `/v1/accounts/${id}/pgcreds`, {
    token: admin, json: { host: "127.0.0.1", port: pgPort, database: DB_NAME, username: DB_USER, password: DB_PASSWORD },
  });
  expect(put.status).toBe(204);
  const issued = await s.call("POST", `/v1/accounts/${id}/token`, { token: admin });
  expect(issued.status).toBe(200);
  const caPath = join(s.dir, "server.crt");

  const r = await runApp({ MCIAS_URL: s.url, MCIAS_TOKEN: issued.body.token, MCIAS_CACERT: caPath });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  const line = JSON.parse(r.stdout.trim());
  expect(line).toEqual({ service: "inventory", result: { user: DB_USER, database: DB_NAME, answer: 42 } });
  expect(r.stdout + r.stderr).not.toContain(DB_PASSWORD);

  // The read is audited as the system account itself, with the password included.
  const audit = await s.call("GET", "/v1/audit?type=pgcred_read", { token: admin });
  const reads = audit.body.events.filter((e: { target_id: string }) => e.target_id === id);
  expect(reads[0]).toMatchObject({ actor: "inventory", details: { password_included: true } });

  // A replaced token no longer works: the app fails cleanly with the server's 401.
  const again = await s.call("POST", `/v1/accounts/${id}/token`, { token: admin });
  expect(again.status).toBe(200);
  const stale = await runApp({ MCIAS_URL: s.url, MCIAS_TOKEN: issued.body.token, MCIAS_CACERT: caPath });
  expect(stale.code).toBe(1);
  expect(stale.stderr).toContain("401");
  expect(stale.stdout).toBe("");
}, 60_000);
