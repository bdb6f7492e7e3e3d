/**
 * Crash durability (SPEC §7, §12: "a request answered 2xx is on disk"; every change and
 * its audit row in one transaction). A write load — account creates, role grants,
 * system-token issues, logins — runs against the real server, which is killed with
 * SIGKILL at a random moment, restarted on the same directory, and loaded again, at
 * least 20 times. Then, on the database file after the last stop:
 *   - every acknowledged (2xx) write is present, with its audit row;
 *   - no write is half-applied: each account, role grant and token row has its audit
 *     row, and each such audit row has its change (acknowledged or not);
 *   - PRAGMA integrity_check is "ok".
 */
import { afterAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { ADMIN_PASSWORD, createHuman, removeDir, startServer, type TestServer } from "../helpers/server";

const CYCLES = Number(Bun.env.MCIAS_CRASH_CYCLES ?? 20);
const WORKERS = 6;
const USER_PASSWORD = "crash-user-password-1";

type Ack =
  | { kind: "create"; username: string; id: string }
  | { kind: "role"; id: string; role: string }
  | { kind: "issue"; id: string; jti: string }
  | { kind: "login"; jti: string };

let dir = "";
let current: TestServer | null = null;
afterAll(async () => { await current?.stop(); if (dir) removeDir(dir); });

const jtiOf = (t: string) => JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString()).jti as string;

test(`acknowledged writes survive ${CYCLES} kill -9s; nothing half-applied; integrity ok`, async () => {
  let s = await startServer();
  current = s;
  dir = s.dir;
  await createHuman(s, "crash-user", USER_PASSWORD);
  const systems: string[] = [];
  const acked: Ack[] = [];
  let attempted = 0, unacked = 0, seq = 0;

  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const admin = await s.login("admin", ADMIN_PASSWORD);
    let stop = false;
    const worker = async (w: number) => {
      while (!stop) {
        const n = ++seq;
        const pick = n % 4;
        attempted++;
        try {
          if (pick === 0 || systems.length === 0) {
            const username = `crash-${cycle}-${w}-${n}`;
            const r = await s.call("POST", "/v1/accounts", { token: admin, json: { username, account_type: "system" } });
            if (r.status === 201) { acked.push({ kind: "create", username, id: r.body.id }); systems.push(r.body.id); }
          } else if (pick === 1) {
            const id = systems[n % systems.length]!;
            const role = `crash-role-${n}`;
            const r = await s.call("POST", `/v1/accounts/${id}/roles`, { token: admin, json: { role } });
            if (r.status === 200) acked.push({ kind: "role", id, role });
          } else if (pick === 2) {
            const id = systems[n % systems.length]!;
            const r = await s.call("POST", `/v1/accounts/${id}/token`, { token: admin });
            if (r.status === 200) acked.push({ kind: "issue", id, jti: r.body.jti });
          } else {
            const r = await s.call("POST", "/v1/auth/login", { json: { username: "crash-user", password: USER_PASSWORD } });
            if (r.status === 200) acked.push({ kind: "login", jti: jtiOf(r.body.token) });
          }
        } catch {
          unacked++; // in flight when the server died: no answer, so no promise was made
          return;
        }
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await Bun.sleep(60 + Math.floor(Math.random() * 440));
    await s.kill9();
    stop = true;
    await load;
    s = await startServer({ dir, noAdmin: true });
    current = s;
  }
  await s.stop();
  current = null;

  const db = new Database(join(dir, "mcias.db"), { readonly: true });
  try {
    const integrity = db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all().map((r) => r.integrity_check);
    const audit = db.query<{ type: string; target_id: string | null; details: string }, []>(
      "SELECT type, target_id, details FROM audit_log").all().map((r) => ({ ...r, d: JSON.parse(r.details) as Record<string, unknown> }));
    const accounts = new Map(db.query<{ id: string; username: string }, []>("SELECT id, username FROM accounts").all().map((r) => [r.id, r.username]));
    const roles = new Set(db.query<{ account_id: string; role: string }, []>("SELECT account_id, role FROM account_roles").all().map((r) => `${r.account_id}/${r.role}`));
    const tokens = new Set(db.query<{ jti: string }, []>("SELECT jti FROM tokens").all().map((r) => r.jti));

    const created = new Map<string, number>();
    for (const a of audit.filter((a) => a.type === "account_created")) created.set(a.target_id!, (created.get(a.target_id!) ?? 0) + 1);
    const granted = new Set(audit.filter((a) => a.type === "role_granted").map((a) => `${a.target_id}/${a.d.role}`));
    const tokenAudit = new Map<string, number>();
    for (const a of audit.filter((a) => a.type === "token_issued" || a.type === "login_ok")) tokenAudit.set(String(a.d.jti), (tokenAudit.get(String(a.d.jti)) ?? 0) + 1);

    // 1. Every acknowledged write is on disk, with its audit row.
    const lost: string[] = [];
    for (const a of acked) {
      if (a.kind === "create" && !(accounts.get(a.id) === a.username && created.get(a.id) === 1)) lost.push(`create ${a.username}`);
      if (a.kind === "role" && !(roles.has(`${a.id}/${a.role}`) && granted.has(`${a.id}/${a.role}`))) lost.push(`role ${a.role}`);
      if ((a.kind === "issue" || a.kind === "login") && !(tokens.has(a.jti) && tokenAudit.get(a.jti) === 1)) lost.push(`${a.kind} ${a.jti}`);
    }
    // 2. Nothing half-applied: changes and audit rows match one to one, acknowledged or not.
    const half: string[] = [];
    for (const id of accounts.keys()) if (created.get(id) !== 1) half.push(`account ${id} without one account_created row`);
    for (const id of created.keys()) if (!accounts.has(id)) half.push(`account_created ${id} without the account`);
    for (const k of roles) if (k.includes("/crash-role-") && !granted.has(k)) half.push(`role ${k} without role_granted`);
    for (const k of granted) if (k.includes("/crash-role-") && !roles.has(k)) half.push(`role_granted ${k} without the role`);
    for (const j of tokens) if (tokenAudit.get(j) !== 1) half.push(`token ${j} without one issue/login audit row`);
    for (const j of tokenAudit.keys()) if (!tokens.has(j)) half.push(`audit for token ${j} without the token`);

    const counts = { create: 0, role: 0, issue: 0, login: 0 };
    for (const a of acked) counts[a.kind]++;
    console.log(`FIGURE crash: ${CYCLES} kill -9 restarts, ${attempted} writes attempted, ${acked.length} acknowledged (creates ${counts.create}, role grants ${counts.role}, token issues ${counts.issue}, logins ${counts.login}), ${unacked} cut off; ${lost.length} acknowledged writes lost, ${half.length} half-applied, integrity_check ${integrity.join(",")}`);
    expect(integrity).toEqual(["ok"]);
    expect(lost).toEqual([]);
    expect(half).toEqual([]);
    // The run really exercised every kind of write and really cut requests off.
    expect(Object.values(counts).every((c) => c > 0)).toBe(true);
    expect(unacked).toBeGreaterThan(0);
  } finally {
    db.close();
  }
}, 180_000);
