/**
 * The OpenAPI document (SPEC §20, issue 13 defect 1): /docs/json from the compiled
 * binary passes openapi-spec-validator, and schemathesis — a third-party fuzzer that
 * must be able to load it — runs over every operation with no 5xx and no response that
 * disagrees with the document (status, content type, schema).
 *
 * The Python tools live in the venv .ci/install.d/openapi.sh makes ($MCIAS_OPENAPI_VENV,
 * default ~/.venvs/openapi). Missing tools fail the test: a suite without its tool is
 * not a pass.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useServer, type TestServer } from "../helpers/server";

const VENV = Bun.env.MCIAS_OPENAPI_VENV ?? `${Bun.env.HOME}/.venvs/openapi`;
const tool = (name: string) => {
  const p = join(VENV, "bin", name);
  if (!existsSync(p)) throw new Error(`${p} missing: run bash .ci/install.d/openapi.sh`);
  return p;
};

async function run(cmd: string[], env: Record<string, string> = {}, timeoutMs = 240_000) {
  // In the temp folder: schemathesis keeps a cache in its working directory.
  const p = Bun.spawn(cmd, { cwd: work, stdout: "pipe", stderr: "pipe", env: { ...Bun.env, ...env } as Record<string, string>, timeout: timeoutMs, killSignal: "SIGKILL" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out: stdout + stderr };
}

let s: TestServer;
useServer((x) => (s = x));
const work = mkdtempSync(join(tmpdir(), "mcias-openapi-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function documentFile(): Promise<{ path: string; doc: any }> {
  const r = await s.fetch("/docs/json");
  expect(r.status).toBe(200);
  const text = await r.text();
  const path = join(work, "openapi.json");
  writeFileSync(path, text);
  writeFileSync(join(work, "ca.pem"), s.ca);
  return { path, doc: JSON.parse(text) };
}

/** Every node of a JSON value, with its path. */
function* nodes(v: unknown, path = ""): Generator<[string, any]> {
  yield [path, v];
  if (Array.isArray(v)) for (const [i, x] of v.entries()) yield* nodes(x, `${path}/${i}`);
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) yield* nodes(x, `${path}/${k}`);
}

describe("GET /docs/json", () => {
  test("passes openapi-spec-validator", async () => {
    const { path } = await documentFile();
    const r = await run([tool("openapi-spec-validator"), path]);
    expect(r.out).toContain("OK");
    expect(r.code).toBe(0);
  }, 60_000);

  test("204s carry no content; shared schemas are $refs; no fragment $id; no string default on numbers", async () => {
    const { doc } = await documentFile();
    for (const [p, n] of nodes(doc)) {
      if (p.endsWith("/responses/204")) expect({ p, content: n.content }).toEqual({ p, content: undefined });
      if (n && typeof n === "object" && !Array.isArray(n)) {
        expect({ p, id: n.$id }).toEqual({ p, id: undefined });
        if ((n.type === "integer" || n.type === "number") && "default" in n) expect(typeof n.default).toBe("number");
        if (n.type === "string" && "default" in n) expect(typeof n.default).toBe("string");
      }
    }
    const logout = doc.paths["/v1/auth/logout"].post.responses;
    expect(logout["401"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
    expect(doc.components.schemas.Error.properties.code.enum).toContain("vault_sealed");
    expect(doc.paths["/v1/accounts/{id}"].get.responses["200"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Account" });
    // Every $ref resolves.
    for (const [, n] of nodes(doc)) {
      if (n && typeof n.$ref === "string") expect(doc.components.schemas[n.$ref.replace("#/components/schemas/", "")]).toBeDefined();
    }
  });

  test("covers every SPEC §3 route and no UI route", async () => {
    const { doc } = await documentFile();
    const paths = Object.keys(doc.paths);
    // Console pages and the docs' own assets are not API.
    for (const p of paths) expect(p).not.toMatch(/^\/(login|logout|unseal|accounts|services|pgcreds|policy|audit|profile|token\/download|static|docs)(\/|$)|^\/$/);
    const ops = new Set(paths.flatMap((p) => Object.keys(doc.paths[p]).map((m) => `${m.toUpperCase()} ${p}`)));
    for (const want of [
      "GET /v1/health", "GET /v1/keys/public", "GET /.well-known/jwks.json", "POST /v1/auth/login", "POST /v1/auth/logout",
      "POST /v1/auth/renew", "GET /v1/auth/me", "PUT /v1/auth/password", "POST /v1/auth/totp/enroll", "POST /v1/auth/totp/confirm",
      "POST /v1/token/validate", "DELETE /v1/token/{jti}", "POST /v1/accounts", "GET /v1/accounts", "GET /v1/accounts/{id}",
      "PATCH /v1/accounts/{id}", "DELETE /v1/accounts/{id}", "PUT /v1/accounts/{id}/password", "DELETE /v1/accounts/{id}/totp",
      "GET /v1/accounts/{id}/roles", "PUT /v1/accounts/{id}/roles", "POST /v1/accounts/{id}/roles", "DELETE /v1/accounts/{id}/roles/{role}",
      "GET /v1/accounts/{id}/tags", "PUT /v1/accounts/{id}/tags", "POST /v1/accounts/{id}/token", "GET /v1/accounts/{id}/tokens",
      "GET /v1/accounts/{id}/token/delegates", "POST /v1/accounts/{id}/token/delegates", "DELETE /v1/accounts/{id}/token/delegates/{grantee_id}",
      "GET /v1/accounts/{id}/pgcreds", "PUT /v1/accounts/{id}/pgcreds", "GET /v1/pgcreds", "GET /v1/accounts/{id}/pgcreds/access",
      "POST /v1/accounts/{id}/pgcreds/access", "DELETE /v1/accounts/{id}/pgcreds/access/{grantee_id}", "GET /v1/audit",
      "GET /v1/policy/rules", "POST /v1/policy/rules", "GET /v1/policy/rules/{id}", "PATCH /v1/policy/rules/{id}",
      "DELETE /v1/policy/rules/{id}", "POST /v1/policy/evaluate", "GET /v1/vault/status", "POST /v1/vault/unseal", "POST /v1/vault/seal",
    ]) expect(ops.has(want) ? want : `missing ${want}`).toBe(want);
    // Request bodies are JSON only: the API parses nothing else.
    for (const [, n] of nodes(doc)) {
      if (n && n.requestBody) expect(Object.keys(n.requestBody.content)).toEqual(["application/json"]);
    }
  });
});

/** "Selected: 44/47" and "Tested: 44" from schemathesis's summary. */
function counts(out: string): { tested: number; selected: number; total: number } {
  const sel = /Selected:\s*(\d+)\/(\d+)/.exec(out);
  const tested = /Tested:\s*(\d+)/.exec(out);
  return { tested: Number(tested?.[1] ?? -1), selected: Number(sel?.[1] ?? -1), total: Number(sel?.[2] ?? -1) };
}

describe("schemathesis over every operation", () => {
  // Operations that end the session or the vault run last, in their own passes, so the
  // main pass keeps a working admin token and an unsealed vault.
  const ENDERS = "^/v1/(auth/logout|auth/renew)$";
  const SEAL = "^/v1/vault/seal$";
  const CONFORMANCE = "status_code_conformance,content_type_conformance,response_schema_conformance";

  // Tokens for the later passes, taken before the main pass: its login fuzzing may lock
  // the admin account (lockout is per account, and that is correct), not its tokens.
  const later: { enders?: string; seal?: string } = {};

  /** Real resources, so fuzzed requests reach the handlers' logic rather than 404. */
  async function fixtures(): Promise<string> {
    const admin = await s.adminToken();
    const mk = async (json: unknown) => {
      const r = await s.call("POST", "/v1/accounts", { token: admin, json });
      expect(r.status).toBe(201);
      return r.body.id as string;
    };
    const svc = await mk({ username: "st-svc", account_type: "system" });
    const bob = await mk({ username: "st-bob", account_type: "human", password: "st-bob-password-1" });
    const victim = await mk({ username: "st-victim", account_type: "human", password: "st-victim-password-1" });
    expect((await s.call("PUT", `/v1/accounts/${svc}/pgcreds`, { token: admin, json: { host: "db", port: 5432, database: "d", username: "u", password: "p" } })).status).toBe(204);
    expect((await s.call("POST", `/v1/accounts/${svc}/token/delegates`, { token: admin, json: { grantee_id: bob } })).status).toBeLessThan(300);
    expect((await s.call("POST", `/v1/accounts/${svc}/pgcreds/access`, { token: admin, json: { grantee_id: bob } })).status).toBeLessThan(300);
    const tok = await s.call("POST", `/v1/accounts/${svc}/token`, { token: admin });
    const rule = await s.call("POST", "/v1/policy/rules", { token: admin, json: { description: "st rule", effect: "allow", match: { actions: ["audit:read"] } } });
    expect(rule.status).toBe(201);
    const q = (v: string | number) => JSON.stringify(String(v));
    const cfg = `[parameters]
"path.id" = ${q(svc)}
"path.grantee_id" = ${q(bob)}
"path.jti" = ${q(tok.body.jti)}
"path.role" = "reader"

[[operations]]
include-path-regex = "^/v1/policy/rules/"
parameters = { "path.id" = ${q(rule.body.id)} }

[[operations]]
include-path = "/v1/accounts/{id}"
include-method = "DELETE"
parameters = { "path.id" = ${q(victim)} }
`;
    const path = join(work, "schemathesis.toml");
    writeFileSync(path, cfg);
    return path;
  }

  async function schemathesis(token: string, checks: string, extra: string[], maxExamples: number, config?: string) {
    const { path } = await documentFile();
    return run([
      tool("schemathesis"), ...(config ? ["--config-file", config] : []), "run", path, "--url", s.url,
      "--tls-verify", join(work, "ca.pem"),
      "-H", `Authorization: Bearer ${token}`,
      "--checks", checks,
      "--phases", "examples,coverage,fuzzing",
      "--max-examples", String(maxExamples),
      "--seed", "1313",
      // No example database: every run is the same run (and nothing is written in the tree).
      "--generation-database", "none",
      "--workers", "1",
      "--request-timeout", "20",
      "--no-color",
      ...extra,
    ], { NO_COLOR: "1" }, 420_000);
  }

  test("every operation but session/vault enders: no 5xx, every response conforms", async () => {
    const config = await fixtures();
    later.enders = await s.login("admin", "admin-password-for-tests-1");
    later.seal = await s.login("admin", "admin-password-for-tests-1");
    const r = await schemathesis(await s.adminToken(), `not_a_server_error,${CONFORMANCE}`, ["--exclude-path-regex", `${ENDERS}|${SEAL}`], 40, config);
    if (r.code !== 0 || Bun.env.MCIAS_TEST_VERBOSE) console.error(r.out.slice(-12_000));
    expect(r.code).toBe(0);
    // Every operation of the document but the three enders ran.
    expect(counts(r.out)).toEqual({ tested: counts(r.out).total - 3, selected: counts(r.out).total - 3, total: counts(r.out).total });
  }, 480_000);

  test("logout and renew with a throwaway admin token", async () => {
    const r = await schemathesis(later.enders!, `not_a_server_error,${CONFORMANCE}`, ["--include-path-regex", ENDERS], 5);
    if (r.code !== 0) console.error(r.out.slice(-8_000));
    expect(r.code).toBe(0);
    expect(counts(r.out)).toMatchObject({ tested: 2, selected: 2 });
  }, 480_000);

  test("seal: 200 once, then the documented 503 vault_sealed, always conforming", async () => {
    const r = await schemathesis(later.seal!, CONFORMANCE, ["--include-path-regex", SEAL], 5);
    if (r.code !== 0) console.error(r.out.slice(-8_000));
    expect(r.code).toBe(0);
    expect(counts(r.out)).toMatchObject({ tested: 1, selected: 1 });
    expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: true });
  }, 480_000);
});
