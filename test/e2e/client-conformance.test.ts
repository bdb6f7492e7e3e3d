/**
 * The TypeScript client (src/client) runs every case of clients/conformance/cases.json
 * against the real compiled server started by scripts/conformance-server. This is the
 * reference runner of the format described in clients/conformance/README.md: the
 * other languages' runners do what this file does.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Secret, TOTP } from "otpauth";
import {
  BadRequestError, ConflictError, ForbiddenError, McIasClient, NotFoundError, RateLimitedError,
  TransportError, UnauthorizedError, VaultSealedError, type McIasError,
} from "../../src/client";
import { ROOT } from "../helpers/server";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Step {
  client?: string;
  op: string;
  args?: Record<string, Json>;
  expect?: { error?: string; result?: Record<string, Json> };
  save?: Record<string, string>;
  repeat?: { until_error: string; max_attempts: number };
}
interface Case { name: string; description: string; requires?: string[]; clients?: Record<string, { trust_ca?: boolean }>; steps: Step[] }
interface ServerInfo { url: string; ca_file: string; admin_username: string; admin_password: string; unseal_passphrase: string; unseal_burst: number }

const SUITE = JSON.parse(readFileSync(join(ROOT, "clients/conformance/cases.json"), "utf8")) as { format: number; cases: Case[] };
/** Optional features this runner implements (cases requiring others are skipped). */
const FEATURES = new Set<string>([]);

// ---- the error kinds and their HTTP statuses (README "Error kinds") ------------------
const STATUS: Record<string, number> = {
  bad_request: 400, unauthorized: 401, forbidden: 403, not_found: 404, conflict: 409,
  rate_limited: 429, vault_sealed: 503, transport: 0,
};
function kindOf(e: unknown): string {
  if (e instanceof BadRequestError) return "bad_request";
  if (e instanceof UnauthorizedError) return "unauthorized";
  if (e instanceof ForbiddenError) return "forbidden";
  if (e instanceof NotFoundError) return "not_found";
  if (e instanceof ConflictError) return "conflict";
  if (e instanceof RateLimitedError) return "rate_limited";
  if (e instanceof VaultSealedError) return "vault_sealed";
  if (e instanceof TransportError) return "transport";
  throw e;
}

// ---- substitution (README "Variables") -----------------------------------------------
function totpAt(secret: Json, ms: number): string {
  if (typeof secret !== "string") throw new Error("totp secret variable is not a string");
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: ms });
}
function lookup(vars: Record<string, Json>, expr: string): Json {
  const m = /^(totp|totp_next):(.+)$/.exec(expr);
  if (m) return totpAt(lookup(vars, m[2]!), Date.now() + (m[1] === "totp_next" ? 30_000 : 0));
  if (!(expr in vars)) throw new Error(`unknown variable \${${expr}}`);
  return vars[expr]!;
}
function subst(v: Json, vars: Record<string, Json>): Json {
  if (typeof v === "string") {
    const whole = /^\$\{([^}]+)\}$/.exec(v);
    if (whole) return lookup(vars, whole[1]!);
    return v.replace(/\$\{([^}]+)\}/g, (_, e: string) => String(lookup(vars, e)));
  }
  if (Array.isArray(v)) return v.map((x) => subst(x, vars));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, subst(x, vars)]));
  return v;
}

// ---- paths and matchers (README "Expectations") --------------------------------------
const ABSENT = Symbol("absent");
type Val = Json | typeof ABSENT;
function at(v: Val, path: string): Val {
  if (path === "") return v;
  let cur: Val = v;
  for (const seg of path.split(".")) {
    if (Array.isArray(cur) && /^\d+$/.test(seg)) cur = Number(seg) < cur.length ? cur[Number(seg)]! : ABSENT;
    else if (cur && typeof cur === "object" && !Array.isArray(cur)) cur = seg in cur ? cur[seg]! : ABSENT;
    else return ABSENT;
  }
  return cur;
}
function deepEq(a: Val, b: Json): boolean {
  if (a === ABSENT) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEq(x, b[i]!));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && kb.every((k) => k in a && deepEq(a[k]!, b[k]!));
  }
  return a === b;
}
const typeName = (v: Val) => v === ABSENT || v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
function matchObj(v: Val, spec: Record<string, Json>): string[] {
  const errs: string[] = [];
  for (const [path, m] of Object.entries(spec)) for (const e of match(at(v, path), m)) errs.push(`${path || "<result>"}: ${e}`);
  return errs;
}
/** Returns the reasons `v` does not match `m` (empty = match). */
function match(v: Val, m: Json): string[] {
  const show = (x: Val) => x === ABSENT ? "<absent>" : JSON.stringify(x);
  if (m === null) return v === null || v === ABSENT ? [] : [`expected absent/null, got ${show(v)}`];
  if (typeof m !== "object" || Array.isArray(m)) return deepEq(v, m) ? [] : [`expected ${JSON.stringify(m)}, got ${show(v)}`];
  const errs: string[] = [];
  const arr = Array.isArray(v) ? v : null;
  for (const [k, a] of Object.entries(m)) {
    switch (k) {
      case "eq": if (!deepEq(v, a)) errs.push(`expected ${JSON.stringify(a)}, got ${show(v)}`); break;
      case "ne": if (deepEq(v, a)) errs.push(`expected anything but ${JSON.stringify(a)}`); break;
      case "type": if (typeName(v) !== a) errs.push(`expected type ${String(a)}, got ${typeName(v)}`); break;
      case "present": if ((v !== ABSENT && v !== null) !== a) errs.push(a ? "expected present" : `expected absent/null, got ${show(v)}`); break;
      case "nonempty": if (!((typeof v === "string" || Array.isArray(v)) && v.length > 0) === a) errs.push(`expected nonempty=${String(a)}, got ${show(v)}`); break;
      case "length": if (!arr || arr.length !== a) errs.push(`expected length ${String(a)}, got ${arr ? arr.length : show(v)}`); break;
      case "min_length": if (!arr || arr.length < (a as number)) errs.push(`expected length >= ${String(a)}, got ${arr ? arr.length : show(v)}`); break;
      case "min": if (typeof v !== "number" || v < (a as number)) errs.push(`expected >= ${String(a)}, got ${show(v)}`); break;
      case "set": {
        const want = a as Json[];
        if (!arr || arr.length !== want.length || !want.every((w) => arr.some((x) => deepEq(x, w)))) errs.push(`expected the set ${JSON.stringify(a)}, got ${show(v)}`);
        break;
      }
      case "contains": if (!arr || !arr.some((x) => deepEq(x, a))) errs.push(`expected to contain ${JSON.stringify(a)}, got ${show(v)}`); break;
      case "excludes": if (!arr || arr.some((x) => deepEq(x, a))) errs.push(`expected not to contain ${JSON.stringify(a)}, got ${show(v)}`); break;
      case "some": if (!arr || !arr.some((x) => matchObj(x, a as Record<string, Json>).length === 0)) errs.push(`no element matches ${JSON.stringify(a)} in ${show(v)}`); break;
      case "none": if (!arr || arr.some((x) => matchObj(x, a as Record<string, Json>).length === 0)) errs.push(`an element matches ${JSON.stringify(a)} in ${show(v)}`); break;
      case "all": {
        if (!arr) { errs.push(`expected an array, got ${show(v)}`); break; }
        arr.forEach((x, i) => { for (const e of matchObj(x, a as Record<string, Json>)) errs.push(`[${i}].${e}`); });
        break;
      }
      default: throw new Error(`unknown matcher "${k}"`);
    }
  }
  return errs;
}

// ---- ops: the canonical surface mapped onto McIasClient ------------------------------
type Args = Record<string, Json>;
const s = (a: Args, k: string) => a[k] as string;
async function call(c: McIasClient, op: string, a: Args): Promise<unknown> {
  switch (op) {
    case "health": return c.health();
    case "public_key": return c.publicKey();
    case "jwks": return c.jwks();
    case "login": return c.login(s(a, "username"), s(a, "password"), a.totp_code as string | undefined);
    case "logout": return c.logout();
    case "renew": return c.renew();
    case "validate": return c.validateToken(s(a, "token"));
    case "me": return c.me();
    case "get_token": return c.token;
    case "set_token": return c.setToken(s(a, "token"));
    case "create_account": return c.createAccount(a as never);
    case "list_accounts": return c.listAccounts(a.status ? { status: a.status as never } : {});
    case "get_account": return c.getAccount(s(a, "id"));
    case "update_account": return c.updateAccount(s(a, "id"), { status: a.status as never });
    case "delete_account": return c.deleteAccount(s(a, "id"));
    case "set_password": return c.setAccountPassword(s(a, "id"), s(a, "password"));
    case "get_roles": return c.getRoles(s(a, "id"));
    case "set_roles": return c.setRoles(s(a, "id"), a.roles as string[]);
    case "grant_role": return c.grantRole(s(a, "id"), s(a, "role"));
    case "revoke_role": return c.revokeRole(s(a, "id"), s(a, "role"));
    case "get_tags": return c.getTags(s(a, "id"));
    case "set_tags": return c.setTags(s(a, "id"), a.tags as string[]);
    case "issue_service_token": return c.issueServiceToken(s(a, "id"));
    case "revoke_token": return c.revokeToken(s(a, "jti"));
    case "list_tokens": return c.listTokens(s(a, "id"));
    case "get_pgcreds": return c.getPgCreds(s(a, "id"));
    case "set_pgcreds": {
      const { id, ...creds } = a;
      return c.setPgCreds(id as string, creds as never);
    }
    case "list_pgcreds": return c.listPgCreds();
    case "audit_query": return c.queryAudit(a as never);
    case "policy_evaluate": return c.evaluatePolicy(a as never);
    case "totp_enroll": return c.totpEnroll(s(a, "current_password"));
    case "totp_confirm": return c.totpConfirm(s(a, "code"));
    case "vault_status": return c.vaultStatus();
    case "vault_seal": return c.seal();
    case "vault_unseal": return c.unseal(s(a, "passphrase"));
    default: throw new Error(`op ${op} is not implemented by this runner`);
  }
}

// ---- the server ----------------------------------------------------------------------
let info: ServerInfo;
let server: ReturnType<typeof Bun.spawn> | undefined;
let ca: string;

beforeAll(async () => {
  server = Bun.spawn([join(ROOT, "scripts/conformance-server")], { stdin: "pipe", stdout: "pipe", stderr: "inherit", env: Bun.env });
  const reader = (server.stdout as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let buf = "";
  while (!buf.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("conformance-server exited before printing its JSON line");
    buf += dec.decode(value, { stream: true });
  }
  reader.releaseLock();
  info = JSON.parse(buf.slice(0, buf.indexOf("\n"))) as ServerInfo;
  ca = readFileSync(info.ca_file, "utf8");
}, 120_000);

afterAll(async () => {
  if (!server) return;
  (server.stdin as import("bun").FileSink).end(); // EOF: the script stops the server and removes its directory
  const code = await server.exited;
  expect(code).toBe(0);
  expect(existsSync(dirname(info.ca_file))).toBe(false); // its temp directory is gone
}, 60_000);

async function runCase(c: Case): Promise<void> {
  const vars: Record<string, Json> = { ...(info as unknown as Record<string, Json>) };
  const clients = new Map<string, McIasClient>();
  const clientFor = (name: string) => {
    let cl = clients.get(name);
    if (!cl) {
      const trust = c.clients?.[name]?.trust_ca ?? true;
      cl = new McIasClient({ serverUrl: info.url, ...(trust ? { caCert: ca } : {}) });
      clients.set(name, cl);
    }
    return cl;
  };
  for (const [i, step] of c.steps.entries()) {
    const where = `${c.name} step ${i + 1} (${step.op})`;
    const cl = clientFor(step.client ?? "main");
    const args = subst((step.args ?? {}) as Json, vars) as Args;
    const attempts = step.repeat ? step.repeat.max_attempts : 1;
    const wantErr = step.repeat ? undefined : step.expect?.error;
    let result: Json = null;
    for (let n = 1; n <= attempts; n++) {
      let err: McIasError | undefined;
      let out: unknown;
      try { out = await call(cl, step.op, args); } catch (e) { err = e as McIasError; }
      if (step.repeat && err) {
        const k = kindOf(err);
        if (k !== step.repeat.until_error) throw new Error(`${where}: attempt ${n} failed with ${k}, not ${step.repeat.until_error}: ${err.message}`);
        checkError(where, err, k);
        if (n === 1) throw new Error(`${where}: failed at the first attempt (no success before ${k})`);
        break;
      }
      if (step.repeat && n === attempts) throw new Error(`${where}: no ${step.repeat.until_error} within ${attempts} attempts`);
      if (wantErr) {
        if (!err) throw new Error(`${where}: expected error ${wantErr}, got success ${JSON.stringify(out)}`);
        const k = kindOf(err);
        if (k !== wantErr) throw new Error(`${where}: expected error ${wantErr}, got ${k}: ${err.message}`);
        checkError(where, err, k);
        break;
      }
      if (err) throw new Error(`${where}: unexpected error ${kindOf(err)}: ${err.message}`);
      result = out === undefined ? null : JSON.parse(JSON.stringify(out)) as Json;
      const errs = matchObj(result, subst((step.expect?.result ?? {}) as Json, vars) as Record<string, Json>);
      if (errs.length) throw new Error(`${where}: ${errs.join("; ")}`);
    }
    for (const [name, path] of Object.entries(step.save ?? {})) {
      const v = at(result, path);
      if (v === ABSENT) throw new Error(`${where}: nothing at "${path}" to save as ${name}`);
      vars[name] = v;
    }
  }
}

function checkError(where: string, err: McIasError, kind: string): void {
  if (err.status !== STATUS[kind]) throw new Error(`${where}: ${kind} with status ${err.status}, expected ${STATUS[kind]}`);
  if (kind !== "transport" && err.code !== kind) throw new Error(`${where}: code ${err.code}, expected ${kind}`);
  if (kind === "rate_limited" && !((err as RateLimitedError).retryAfter! >= 1)) throw new Error(`${where}: rate_limited without Retry-After >= 1`);
}

describe("scripts/conformance-server", () => {
  test("prints its JSON line, serves, and on SIGTERM stops the server and removes its directory", async () => {
    const p = Bun.spawn([join(ROOT, "scripts/conformance-server")], { stdin: "pipe", stdout: "pipe", stderr: "inherit", env: Bun.env });
    const reader = (p.stdout as ReadableStream<Uint8Array>).getReader();
    let buf = "";
    while (!buf.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("no JSON line");
      buf += new TextDecoder().decode(value);
    }
    const line = JSON.parse(buf.slice(0, buf.indexOf("\n"))) as ServerInfo & { issuer: string; pid: number };
    for (const k of ["url", "ca_file", "issuer", "admin_username", "admin_password", "unseal_passphrase"] as const) {
      expect(typeof line[k]).toBe("string");
    }
    expect(line.unseal_burst).toBeGreaterThan(0);
    expect(line.url).toStartWith("https://127.0.0.1:");
    const c = new McIasClient({ serverUrl: line.url, caCert: readFileSync(line.ca_file, "utf8") });
    await c.login(line.admin_username, line.admin_password);
    expect((await c.me()).roles).toContain("admin");
    p.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(existsSync(dirname(line.ca_file))).toBe(false);
    expect(() => process.kill(line.pid, 0)).toThrow(); // the server process is gone
  }, 120_000);
});

describe("client conformance (TypeScript)", () => {
  test("format 1", () => expect(SUITE.format).toBe(1));
  for (const c of SUITE.cases) {
    const missing = (c.requires ?? []).filter((f) => !FEATURES.has(f));
    if (missing.length) test.skip(`${c.name} (needs ${missing.join(", ")})`, () => {});
    else test(c.name, () => runCase(c), 60_000);
  }
});
