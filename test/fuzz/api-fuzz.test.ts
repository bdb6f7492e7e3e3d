/**
 * Property-based API fuzzing driven by the server's own OpenAPI document. Every route
 * that /docs/json lists at run time gets generated requests: schema-valid bodies,
 * boundary values, wrong types, unknown fields, malformed JSON, oversized bodies,
 * odd path ids and query strings; with no token, an admin token, a non-admin token
 * and a garbage token. Properties checked on every response:
 *   - never a 5xx;
 *   - every error is exactly {"error","code"} with a known code matching the status;
 *   - every 2xx body validates against the documented schema for that status;
 *   - no secret field anywhere (password only in the pgcreds read).
 * Seeded (MCIAS_FUZZ_SEED) and bounded (MCIAS_FUZZ_RUNS, default 5000).
 *
 * Kept from wrecking the run: POST /v1/vault/seal is not called (sealing is covered by
 * the vault suite), the two admin accounts' ids never appear in paths, and the tokens
 * used are re-issued whenever a request may have revoked them.
 */
import { beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import { ADMIN_PASSWORD, createHuman, type TestServer, useServer } from "../helpers/server";
import { arbitraryFor, ERROR_CODES, operations, secretFields, validate, type Operation } from "./openapi";

const RUNS = Number(Bun.env.MCIAS_FUZZ_RUNS ?? 5000);
const SEED = Number(Bun.env.MCIAS_FUZZ_SEED ?? 20261123);
const CONCURRENCY = 8;
const EXCLUDED = new Set(["POST /v1/vault/seal"]);
const USER_PASSWORD = "fuzz-user-password-1";
const SPARE_PASSWORD = "spare-admin-password-1";

let s: TestServer;
let doc: any;
let ops: Operation[];
const ids: string[] = [];
const protectedIds = new Set<string>();
const tokens: { admin: string; user: string } = { admin: "", user: "" };
let userName = "fuzz-user";
let userId = "";

useServer((x) => { s = x; });
beforeAll(async () => {
  doc = (await s.call("GET", "/docs/json")).body;
  ops = operations(doc).filter((o) => !EXCLUDED.has(`${o.method} ${o.path}`));
  tokens.admin = await s.adminToken();
  const me = await s.call("GET", "/v1/auth/me", { token: tokens.admin });
  protectedIds.add(me.body.id);
  protectedIds.add(await createHuman(s, "spare-admin", SPARE_PASSWORD, ["admin"]));
  userId = await createHuman(s, userName, USER_PASSWORD);
  ids.push(userId);
  const sys = await s.call("POST", "/v1/accounts", { token: tokens.admin, json: { username: "fuzz-svc", account_type: "system" } });
  ids.push(sys.body.id);
  tokens.user = await s.login(userName, USER_PASSWORD);
}, 60_000);


type BodyKind = "valid" | "boundary" | "wrongType" | "extraField" | "malformed" | "notObject" | "huge" | "none";
type AuthKind = "none" | "admin" | "user" | "garbage";
interface Plan { op: number; auth: AuthKind; body: BodyKind; value: unknown; pathPick: number[]; pathJunk: string[]; query: Record<string, string>; headerCase: boolean; contentType: string | null }
const CONTENT_TYPES = ["application/json", "application/json", "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", null];

const JUNK_IDS = ["00000000-0000-0000-0000-000000000000", "not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "%00", "'%20OR%201=1--", "x".repeat(300), "-1", "%F0%9F%92%A9", "admin"];

function planArb(): fc.Arbitrary<Plan> {
  // API routes weigh 3× the Web UI's HTML routes (when the document lists those too).
  const weighted = ops.flatMap((o, i) => (o.path.startsWith("/v1/") ? [i, i, i] : [i]));
  return fc.constantFrom(...weighted).chain((i) => {
    const op = ops[i]!;
    const bodyArb: fc.Arbitrary<[BodyKind, unknown]> = op.body
      ? fc.oneof(
          { weight: 5, arbitrary: arbitraryFor(op.body, doc, { ids: () => ids }).map((v) => ["valid", v] as [BodyKind, unknown]) },
          { weight: 1, arbitrary: arbitraryFor(op.body, doc, { ids: () => ids }).map((v) => ["boundary", v] as [BodyKind, unknown]) },
          { weight: 1, arbitrary: fc.anything().map((v) => ["wrongType", v] as [BodyKind, unknown]) },
          { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 12 }).map((k) => ["extraField", k] as [BodyKind, unknown]) },
          { weight: 1, arbitrary: fc.constantFrom("{", "{\"a\":", "nul", "[1,]", "\u0000", "{\"username\":\"a\"}}", "").map((v) => ["malformed", v] as [BodyKind, unknown]) },
          { weight: 1, arbitrary: fc.constantFrom(null, [], 1, "str", true).map((v) => ["notObject", v] as [BodyKind, unknown]) },
          { weight: 1, arbitrary: fc.constant(["huge", null] as [BodyKind, unknown]) },
          { weight: 1, arbitrary: fc.constant(["none", null] as [BodyKind, unknown]) },
        )
      : fc.oneof({ weight: 4, arbitrary: fc.constant(["none", null] as [BodyKind, unknown]) }, { weight: 1, arbitrary: fc.anything().map((v) => ["wrongType", v] as [BodyKind, unknown]) });
    const queryArb = fc.record(Object.fromEntries(op.params.filter((p) => p.in === "query").map((p) => [p.name,
      fc.oneof(arbitraryFor(p.schema, doc, { ids: () => ids }).map(String), fc.constantFrom("", "-1", "99999", "'", "2026-13-40", "x".repeat(200)))])), { requiredKeys: [] }) as fc.Arbitrary<Record<string, string>>;
    return fc.record({
      op: fc.constant(i),
      auth: fc.constantFrom<AuthKind>("admin", "admin", "user", "none", "garbage"),
      body: bodyArb,
      pathPick: fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 4, maxLength: 4 }),
      pathJunk: fc.array(fc.constantFrom(...JUNK_IDS), { minLength: 4, maxLength: 4 }),
      query: queryArb,
      headerCase: fc.boolean(),
      contentType: fc.constantFrom(...CONTENT_TYPES),
    }).map((r) => ({ ...r, body: r.body[0], value: r.body[1] }));
  });
}

function fillIds(v: unknown): unknown {
  if (v === "@id") return ids[Math.floor(ids.length / 2)] ?? "00000000-0000-0000-0000-000000000000";
  if (Array.isArray(v)) return v.map(fillIds);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillIds(x)]));
  return v;
}

/** Pushes every string to its schema's maximum length (boundary values). */
function stretch(v: unknown, schema: any): unknown {
  if (typeof v === "string" && schema?.maxLength && !schema.pattern && !schema.format) return v.padEnd(schema.maxLength, "z");
  if (v && typeof v === "object" && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stretch(x, schema?.properties?.[k])]));
  return v;
}

const violations: string[] = [];
let sent = 0, fivexx = 0, shape = 0, secrets = 0;
const perRoute = new Map<string, number>();
const statuses = new Map<number, number>();
const byAuth = new Map<string, number>();

async function execute(p: Plan): Promise<void> {
  const op = ops[p.op]!;
  let k = 0;
  const path = op.path.replace(/\{[^}]+\}/g, (m) => {
    const pick = p.pathPick[k]!, junk = p.pathJunk[k++]!;
    if (m === "{role}") return pick < 50 ? "admin" : pick < 80 ? "ops" : encodeURIComponent(junk);
    if (pick < 70 && ids.length) return ids[pick % ids.length]!;
    return pick < 85 ? crypto.randomUUID() : junk;
  });
  const q = new URLSearchParams(p.query).toString();
  const headers: Record<string, string> = {};
  const tok = p.auth === "admin" ? tokens.admin : p.auth === "user" ? tokens.user : p.auth === "garbage" ? "eyJhbGciOiJub25lIn0.e30." : "";
  if (tok) headers[p.headerCase ? "authorization" : "Authorization"] = `${p.headerCase ? "bearer" : "Bearer"} ${tok}`;
  let body: string | undefined;
  if (p.body !== "none" && p.contentType) headers["content-type"] = p.contentType;
  switch (p.body) {
    case "valid": body = JSON.stringify(fillIds(p.value)); break;
    case "boundary": body = JSON.stringify(stretch(fillIds(p.value), op.body)); break;
    case "wrongType": body = JSON.stringify(p.value ?? null); break;
    case "extraField": body = JSON.stringify({ ...(fillIds(arbitrarySample(op)) as object), [`zz_${p.value}`]: 1 }); break;
    case "malformed": body = String(p.value); break;
    case "notObject": body = JSON.stringify(p.value); break;
    case "huge": body = JSON.stringify({ username: "a".repeat(70 * 1024) }); break;
  }
  const method = op.method;
  const r = await s.fetch(path + (q ? `?${q}` : ""), { method, headers, body: method === "GET" ? undefined : body });
  const text = await r.text();
  sent++;
  const key = `${method} ${op.path}`;
  perRoute.set(key, (perRoute.get(key) ?? 0) + 1);
  statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  const ak = Bun.env.MCIAS_FUZZ_VERBOSE === "2" ? `${p.auth}:${p.body}:${key}:${r.status}:${r.status >= 400 ? text.slice(0, 80) : ""}` : `${p.auth}:${r.status}`;
  byAuth.set(ak, (byAuth.get(ak) ?? 0) + 1);
  const where = `${method} ${path} [${p.auth}/${p.body}] → ${r.status}`;
  if (r.status >= 500) { fivexx++; violations.push(`${where}: 5xx ${text.slice(0, 200)}`); return; }
  // Web UI routes (if the document lists them) answer HTML: only "no 5xx" and "no secret" apply.
  const isApi = op.path.startsWith("/v1/") || op.path.startsWith("/.well-known/");
  if (!isApi && !(r.headers.get("content-type") ?? "").includes("application/json")) {
    if (text.includes(ADMIN_PASSWORD) || text.includes(USER_PASSWORD) || text.includes("PRIVATE KEY") || /\$argon2id\$/.test(text)) {
      secrets++; violations.push(`${where}: secret in page`);
    }
    return;
  }
  let json: unknown = null;
  if (text) {
    try { json = JSON.parse(text); } catch { shape++; violations.push(`${where}: not JSON: ${text.slice(0, 120)}`); return; }
  }
  const leaked = secretFields(json, method === "GET" && /^\/v1\/accounts\/\{id\}\/pgcreds$/.test(op.path));
  if (leaked.length || text.includes(ADMIN_PASSWORD) || text.includes(USER_PASSWORD) || text.includes("PRIVATE KEY") || /\$argon2id\$/.test(text)) {
    secrets++; violations.push(`${where}: secret in response ${leaked.join(",")}`);
  }
  if (r.status >= 400) {
    const e = json as Record<string, unknown> | null;
    const ok = !!e && typeof e === "object" && Object.keys(e).sort().join() === "code,error" && typeof e.error === "string" && ERROR_CODES[e.code as string] === r.status;
    if (!ok) { shape++; violations.push(`${where}: error shape ${text.slice(0, 160)}`); }
    if (r.status === 429 && !r.headers.get("retry-after")) { shape++; violations.push(`${where}: 429 without Retry-After`); }
    return;
  }
  const documented = op.responses[String(r.status)];
  if (!(String(r.status) in op.responses)) { shape++; violations.push(`${where}: undocumented status`); return; }
  if (r.status === 204) { if (text) { shape++; violations.push(`${where}: 204 with a body`); } return; }
  if (documented) {
    const errs = validate(documented, json, doc);
    if (errs.length) { shape++; violations.push(`${where}: schema ${errs.slice(0, 3).join("; ")}`); }
  }
  // Remember created ids so later requests address real resources.
  if (r.status === 201 && json && typeof json === "object" && typeof (json as any).id === "string" && ids.length < 200) ids.push((json as any).id);
  for (const id of protectedIds) if (ids.includes(id)) ids.splice(ids.indexOf(id), 1);
}

const samples = new Map<number, unknown>();
function arbitrarySample(op: Operation): unknown {
  if (!op.body) return {};
  const i = ops.indexOf(op);
  if (!samples.has(i)) samples.set(i, fc.sample(arbitraryFor(op.body, doc, { ids: () => ids }), { numRuns: 1, seed: SEED })[0]);
  const v = samples.get(i);
  return v && typeof v === "object" && !Array.isArray(v) ? v : {};
}

/** Tokens may be revoked by logout/renew/password calls in the run: re-issue them when dead. */
async function refreshTokens(): Promise<void> {
  const v = async (t: string) => (await s.call("POST", "/v1/token/validate", { json: { token: t } })).body?.valid === true;
  if (!(await v(tokens.admin))) {
    const r = await s.call("POST", "/v1/auth/login", { json: { username: "admin", password: ADMIN_PASSWORD } });
    tokens.admin = r.status === 200 ? r.body.token : await s.login("spare-admin", SPARE_PASSWORD);
  }
  if (!(await v(tokens.user))) {
    // The run may have deactivated, deleted or re-passworded the non-admin user: restore or replace it.
    let r = await s.call("POST", "/v1/auth/login", { json: { username: userName, password: USER_PASSWORD } });
    if (r.status !== 200) {
      await s.call("PATCH", `/v1/accounts/${userId}`, { token: tokens.admin, json: { status: "active" } });
      await s.call("PUT", `/v1/accounts/${userId}/password`, { token: tokens.admin, json: { password: USER_PASSWORD } });
      r = await s.call("POST", "/v1/auth/login", { json: { username: userName, password: USER_PASSWORD } });
    }
    if (r.status !== 200) {
      userName = `fuzz-user-${ids.length}-${sent}`;
      const c = await s.call("POST", "/v1/accounts", { token: tokens.admin, json: { username: userName, account_type: "human", password: USER_PASSWORD } });
      userId = c.body.id;
      ids.push(userId);
      r = await s.call("POST", "/v1/auth/login", { json: { username: userName, password: USER_PASSWORD } });
    }
    if (r.status === 200) tokens.user = r.body.token;
  }
}

test(`fuzz every documented route (${RUNS} requests, seed ${SEED})`, async () => {
  expect(ops.length).toBeGreaterThan(10);
  const plans = fc.sample(planArb(), { numRuns: RUNS, seed: SEED });
  const started = performance.now();
  for (let i = 0; i < plans.length; i += CONCURRENCY * 4) {
    const batch = plans.slice(i, i + CONCURRENCY * 4);
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < batch.length) await execute(batch[next++]!);
    }));
    await refreshTokens();
  }
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  const uncovered = ops.filter((o) => !perRoute.has(`${o.method} ${o.path}`)).map((o) => `${o.method} ${o.path}`);
  console.log(`FIGURE fuzz: ${sent} requests over ${perRoute.size}/${ops.length} documented routes in ${secs}s, ${fivexx} 5xx, ${shape} shape violations, ${secrets} secret leaks (seed ${SEED})`);
  console.log(`fuzz statuses: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([k, n]) => `${k}×${n}`).join(" ")}`);
  if (Bun.env.MCIAS_FUZZ_VERBOSE) console.log([...byAuth].sort().map(([k, n]) => `${k}×${n}`).join(" "));
  if (violations.length) console.log(violations.slice(0, 40).join("\n"));
  expect(uncovered).toEqual([]);
  expect(sent).toBe(RUNS);
  expect(violations).toEqual([]);
  // The run exercised both success and refusal paths, so the properties were really tested.
  expect([...statuses.keys()].some((c) => c < 300)).toBe(true);
  expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  expect(statuses.get(401) ?? 0).toBeGreaterThan(0);
}, 240_000);

test("the checkers can fail: schema validator and secret scan reject bad responses", () => {
  const me = ops.find((o) => o.method === "GET" && o.path === "/v1/auth/me")!;
  const schema = me.responses["200"]!;
  const good = { id: crypto.randomUUID(), username: "a", account_type: "human", status: "active", roles: [], tags: [], totp_enabled: false, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", email: null, display_name: null };
  expect(validate(schema, good, doc)).toEqual([]);
  expect(validate(schema, { ...good, password_hash: "x" }, doc).length).toBeGreaterThan(0);
  expect(validate(schema, { ...good, totp_enabled: "no" }, doc).length).toBeGreaterThan(0);
  expect(validate(schema, { ...good, id: "nope" }, doc).length).toBeGreaterThan(0);
  expect(secretFields({ a: [{ totp_secret: "x" }] }, false)).toEqual(["$.a[0].totp_secret"]);
  expect(secretFields({ password: "x" }, false)).toEqual(["$.password"]);
  expect(secretFields({ password: "x" }, true)).toEqual([]);
});
