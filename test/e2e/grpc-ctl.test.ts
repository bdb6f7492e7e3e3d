/**
 * `mcias ctl --grpc` (SPEC §13): one scripted ctl scenario — login, accounts, roles,
 * tags, service tokens, delegates, pgcreds, policy, audit, vault, and refusals — run
 * once over REST and once over gRPC against the same compiled server. The transcripts
 * (stdout, stderr, exit code of every step) must be identical once the values that
 * necessarily differ between the two runs (ids, times, tokens, the name prefix) are
 * replaced by placeholders in order of appearance.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN_PASSWORD, removeDir, runMcias, startServer, type TestServer } from "../helpers/server";

let s: TestServer;
const homes: string[] = [];
beforeAll(async () => { s = await startServer({ grpc: true }); }, 60_000);
afterAll(async () => { await s.stop(); removeDir(s.dir); for (const h of homes) removeDir(h); });

type Step = { args: string[]; stdin?: string; as?: "admin" | "user" };

async function scenario(grpc: boolean): Promise<string[]> {
  const p = grpc ? "g" : "r";
  const home = mkdtempSync(join(tmpdir(), "mcias-grpc-ctl-"));
  const userHome = mkdtempSync(join(tmpdir(), "mcias-grpc-ctl-"));
  homes.push(home, userHome);
  const conn = grpc ? ["--grpc", "--server", s.grpc!] : ["--server", s.url];
  const transcript: string[] = [];
  const run = async (st: Step) => {
    const r = await runMcias(["ctl", ...st.args, ...conn, "--cacert", join(s.dir, "server.crt")], {
      stdin: st.stdin,
      env: { XDG_CONFIG_HOME: st.as === "user" ? userHome : home, MCIAS_TOKEN: "", MCIAS_SERVER: "", MCIAS_CACERT: "" },
    });
    transcript.push(`$ ${st.args.join(" ")}\n[${r.code}]\n${r.stdout}${r.stderr}`);
    return r;
  };
  const out = async (st: Step) => (await run(st)).stdout;

  await run({ args: ["auth", "login", "--username", "admin"], stdin: `${ADMIN_PASSWORD}\n` });
  await run({ args: ["auth", "whoami"] });
  const svc = JSON.parse(await out({ args: ["account", "create", "--username", `${p}-svc`, "--type", "system", "--json"] })).id as string;
  const bob = JSON.parse(await out({ args: ["account", "create", "--username", `${p}-bob`, "--type", "human", "--roles", "dev,ops", "--json"], stdin: "bob-password-123\n" })).id as string;
  await run({ args: ["account", "create", "--username", `${p}-bob`, "--type", "human"], stdin: "bob-password-123\n" });
  await run({ args: ["account", "get", "--id", bob] });
  await run({ args: ["account", "get", "--id", bob, "--json"] });
  await run({ args: ["account", "get", "--id", "00000000-0000-4000-8000-000000000000"] });
  await run({ args: ["account", "get", "--id", "not-a-uuid"] });
  await run({ args: ["account", "update", "--id", bob, "--status", "inactive"] });
  await run({ args: ["account", "update", "--id", bob, "--status", "active", "--json"] });
  await run({ args: ["account", "set-password", "--id", bob], stdin: "bob-password-456\nbob-password-456\n" });
  await run({ args: ["account", "set-password", "--id", bob], stdin: "short\nshort\n" });
  await run({ args: ["role", "grant", "--id", bob, "--role", "qa"] });
  await run({ args: ["role", "revoke", "--id", bob, "--role", "dev", "--json"] });
  await run({ args: ["role", "grant", "--id", bob, "--role", "Not A Role"] });
  await run({ args: ["role", "set", "--id", bob, "--roles", "a,b"] });
  await run({ args: ["role", "list", "--id", bob, "--json"] });
  await run({ args: ["tag", "set", "--id", bob, "--tags", "env:prod,x"] });
  await run({ args: ["tag", "list", "--id", bob] });
  const issued = JSON.parse(await out({ args: ["token", "issue", "--id", svc, "--json"] }));
  await run({ args: ["token", "issue", "--id", svc] });
  await run({ args: ["token", "list", "--id", svc] });
  await run({ args: ["token", "validate", "--token", issued.token, "--json"] });
  await run({ args: ["token", "validate", "--token", "not.a.token"] });
  await run({ args: ["token", "revoke", "--jti", "no-such-jti"] });
  await run({ args: ["delegate", "grant", "--id", svc, "--grantee", bob] });
  await run({ args: ["delegate", "list", "--id", svc, "--json"] });
  await run({ args: ["delegate", "revoke", "--id", svc, "--grantee", bob] });
  await run({ args: ["pgcreds", "set", "--id", svc, "--host", "db.internal", "--port", "5432", "--db", "app", "--user", "app"], stdin: "pg-secret-password\n" });
  await run({ args: ["pgcreds", "get", "--id", svc, "--json"] });
  await run({ args: ["pgcreds", "grant", "--id", svc, "--grantee", bob] });
  await run({ args: ["pgcreds", "list"] });
  await run({ args: ["pgcreds", "revoke", "--id", svc, "--grantee", bob] });
  const ruleFile = join(home, "rule.json");
  writeFileSync(ruleFile, JSON.stringify({ description: `${p} ops read audit`, effect: "allow", priority: 50, match: { roles: ["ops"], actions: ["audit:read"] }, not_before: "2026-01-01T00:00:00.000Z" }));
  const rule = JSON.parse(await out({ args: ["policy", "create", "--file", ruleFile, "--json"] })).id as number;
  await run({ args: ["policy", "get", "--id", String(rule)] });
  writeFileSync(ruleFile, JSON.stringify({ enabled: false, not_before: null }));
  await run({ args: ["policy", "update", "--id", String(rule), "--file", ruleFile, "--json"] });
  writeFileSync(ruleFile, JSON.stringify({ subject_id: bob, action: "audit:read", resource: { type: "audit" } }));
  await run({ args: ["policy", "evaluate", "--file", ruleFile, "--json"] });
  await run({ args: ["policy", "delete", "--id", String(rule)] });
  await run({ args: ["policy", "get", "--id", String(rule)] });
  // A non-admin: refused with the server's code, same words.
  await run({ args: ["auth", "login", "--username", `${p}-bob`], stdin: "bob-password-456\n", as: "user" });
  await run({ args: ["account", "list"], as: "user" });
  await run({ args: ["auth", "whoami", "--json"], as: "user" });
  await run({ args: ["auth", "logout"], as: "user" });
  await run({ args: ["audit", "query", "--account", bob, "--json"] });
  await run({ args: ["audit", "query", "--account", bob] });
  await run({ args: ["audit", "query", "--since", "yesterday"] });
  await run({ args: ["account", "delete", "--id", bob] });
  await run({ args: ["vault", "status", "--json"] });
  await run({ args: ["auth", "logout"] });
  await run({ args: ["account", "list"] });
  return transcript;
}

/** Replaces run-specific values with placeholders numbered by first appearance. */
function normalize(steps: string[], prefix: string): string {
  const other = prefix === "r" ? "g" : "r";
  const lines = steps.map((st) => {
    let ls = st.split("\n");
    // Admin lists show the other run's objects too (state, not transport): leave them out.
    ls = ls.filter((l) => !new RegExp(`\\b${other}-(svc|bob)\\b`).test(l));
    // Tokens issued within the same second list in either order: compare as a set.
    if (st.startsWith("$ token list")) ls = [...ls.slice(0, 3), ...ls.slice(3).map((l) => l.replace(/^[0-9a-f-]{36}/, "<jti>")).sort((x, y) => Number(y.endsWith(" -")) - Number(x.endsWith(" -")))];
    return ls.join("\n");
  });
  const seen = new Map<string, string>();
  const ph = (kind: string) => (v: string) => {
    if (!seen.has(v)) seen.set(v, `<${kind}${seen.size}>`);
    return seen.get(v)!;
  };
  return lines.join("\n")
    .replace(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, ph("jwt"))
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, ph("id"))
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, "<time>")
    .replace(/"id": \d+/g, '"id": <n>')
    .replace(/^(id:\s+)\d+$/gm, "$1<n>")
    .replace(/"next_cursor": "\d+"/g, '"next_cursor": "<n>"')
    .replace(/--id \d+/g, "--id <n>")
    .replace(/rule \d+/g, "rule <n>")
    .replace(/^\d+(\s+)(?=<time>)/gm, "<n>$1")
    .replace(new RegExp(`\\b${prefix}-(svc|bob)\\b`, "g"), "P-$1")
    .replace(new RegExp(`"${prefix} ops read audit"|\\b${prefix} ops read audit`, "g"), "P ops read audit")
    .replace(/(USERNAME|username:?)(\s+)/g, "$1$2")
    .replace(/\/tmp\/mcias-grpc-ctl-[A-Za-z0-9]+/g, "<home>")
    // The address itself differs (REST URL vs gRPC host:port).
    .replace(/server (https:\/\/)?127\.0\.0\.1:\d+/g, "server <server>")
    .replace(/[ \t]+$/gm, "");
}

test("ctl --grpc prints exactly what ctl prints over REST, step by step", async () => {
  const rest = await scenario(false);
  const grpc = await scenario(true);
  expect(rest.length).toBe(grpc.length);
  const a = normalize(rest, "r").split("\n$ ");
  const b = normalize(grpc, "g").split("\n$ ");
  expect(b.filter((x, i) => x !== a[i])).toEqual(a.filter((x, i) => x !== b[i]));
  // Sanity: the steps did what they say (so equality is not two identical failures).
  const text = rest.join("\n");
  expect(text).toMatch(/\$ auth whoami\n\[0\]\nid: +\S+\nusername: +admin/);
  expect(text).toMatch(/forbidden/);
  expect(text).toMatch(/conflict/);
  expect(text).toMatch(/not_found/);
  expect(text).toMatch(/bad_request/);
  // And the second run really went over gRPC: the server logged those calls.
  const grpcLines = s.logs().filter((l) => l.includes('"msg":"grpc"'));
  for (const m of ["AuthService/Login", "AccountService/CreateAccount", "TokenService/IssueServiceToken", "PgCredsService/GetPgCreds", "PolicyService/Evaluate", "AuditService/Query"]) {
    expect(grpcLines.some((l) => l.includes(m))).toBe(true);
  }
}, 240_000);

test("ctl --grpc: a bad address is a usage error; an untrusted certificate cleanly with exit 1, never a stack", async () => {
  const home = mkdtempSync(join(tmpdir(), "mcias-grpc-ctl-"));
  homes.push(home);
  const bad = await runMcias(["ctl", "vault", "status", "--grpc", "--server", "localhost:notaport"], { env: { XDG_CONFIG_HOME: home } });
  expect(bad.code).toBe(2);
  // No --cacert: the self-signed certificate is not trusted.
  const r = await runMcias(["ctl", "vault", "status", "--grpc", "--server", s.grpc!], { env: { XDG_CONFIG_HOME: home } });
  expect(r.code).toBe(1);
  expect(r.stderr).toStartWith("mcias: ");
  expect(r.stderr).not.toContain("    at ");
}, 60_000);
