/**
 * The gRPC face against the compiled binary (SPEC §13), real TLS on random loopback
 * ports. Table-driven over every mcias.v1 RPC: success, UNAUTHENTICATED without a token,
 * PERMISSION_DENIED for a non-admin where REST says 403, INVALID_ARGUMENT for bad input,
 * each with the `mcias-code` trailer. Also: the same audit rows as REST, AuditService/
 * Watch, grpcurl (a client nobody here wrote) with reflection only, sealed → UNAVAILABLE
 * and Health NOT_SERVING, the shared per-IP rate limit, and no secret in any log line.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Metadata } from "@grpc/grpc-js";
import * as OTPAuth from "otpauth";
import { ADMIN_PASSWORD, createHuman, createSystem, removeDir, startServer, type TestServer } from "../helpers/server";
import { grpcChannel, status, type GrpcChannel, type GrpcResult } from "../helpers/grpc";
import { RPCS } from "../../src/grpc/handlers";

let s: TestServer;
let g: GrpcChannel;
const fx = {} as {
  admin: string; carol: string; carolId: string; dave: string; svc: string; erin: string; erinTok: string;
  frank: string; frankTok: string; victim: string; rule: number; svcJti: string; adminJti: string;
  invitee: string; inviteToken: string; oidcClient: string;
};
const PG_PASSWORD = "pg-secret-password-for-grpc";

beforeAll(async () => {
  s = await startServer({ grpc: true });
  g = grpcChannel(s);
  fx.admin = await s.adminToken();
  fx.carolId = await createHuman(s, "carol");
  fx.carol = await s.login("carol", "carol-password-123");
  fx.dave = await createHuman(s, "dave");
  fx.svc = await createSystem(s, "svc");
  fx.erin = await createHuman(s, "erin");
  fx.erinTok = await s.login("erin", "erin-password-123");
  fx.frank = await createHuman(s, "frank");
  fx.frankTok = await s.login("frank", "frank-password-123");
  fx.victim = await createHuman(s, "victim");
  const jti = (t: string) => JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString()).jti as string;
  fx.adminJti = jti(fx.admin);
  const issued = await s.call("POST", `/v1/accounts/${fx.svc}/token`, { token: fx.admin });
  fx.svcJti = issued.body.jti;
  const rule = await s.call("POST", "/v1/policy/rules", { token: fx.admin, json: { description: "grpc test rule", effect: "allow", match: { roles: ["ops"], actions: ["audit:read"] } } });
  fx.rule = rule.body.id;
  fx.invitee = (await s.call("POST", "/v1/accounts", { token: fx.admin, json: { username: "invitee", account_type: "human" } })).body.id;
  expect((await s.call("PUT", `/v1/accounts/${fx.svc}/pgcreds`, { token: fx.admin, json: { host: "db", port: 5432, database: "app", username: "app", password: PG_PASSWORD } })).status).toBe(204);
}, 90_000);
afterAll(async () => { g?.close(); await s?.stop(); if (s) removeDir(s.dir); });

const code = (r: GrpcResult) => ({ name: r.name, mcias: r.mciasCode });

interface Case {
  rpc: string;
  /** The success call: request and token (default: admin). Returns extra checks. */
  ok: () => { req: Record<string, unknown>; token?: string | null; check?: (res: Record<string, any>) => void };
  /** Who gets PERMISSION_DENIED with the success request (REST: 403). */
  deniedFor?: () => string;
  /** A request REST would answer 400. */
  bad?: () => Record<string, unknown>;
  /** The outcome of the `ok` call when it cannot succeed here (a passkey needs a browser ceremony). */
  expect?: string;
}

const U = "00000000-0000-4000-8000-000000000000";
let totpSecret = "";

const CASES: Case[] = [
  { rpc: "AuthService/Login", ok: () => ({ req: { username: "admin", password: ADMIN_PASSWORD }, token: null, check: (r) => expect(r.token.split(".").length).toBe(3) }), bad: () => ({ username: "", password: "x" }) },
  { rpc: "AuthService/Me", ok: () => ({ req: {}, token: fx.carol, check: (r) => expect(r.username).toBe("carol") }) },
  { rpc: "AuthService/TotpEnroll", ok: () => ({ req: { current_password: "carol-password-123" }, token: fx.carol, check: (r) => { totpSecret = r.secret; expect(r.otpauth_uri).toStartWith("otpauth://"); } }), deniedFor: () => fx.carol, bad: () => ({ current_password: "x".repeat(2000) }) },
  { rpc: "AuthService/TotpConfirm", ok: () => ({ req: { code: new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(totpSecret) }).generate() }, token: fx.carol }), bad: () => ({ code: "" }) },
  { rpc: "AuthService/RegenerateRecoveryCodes", ok: () => ({ req: { current_password: "carol-password-123" }, token: fx.carol, check: (r) => expect(r.recovery_codes.length).toBe(10) }), bad: () => ({ current_password: "x".repeat(2000) }) },
  { rpc: "AuthService/ListWebauthnCredentials", ok: () => ({ req: {}, token: fx.carol, check: (r) => expect(r.credentials).toEqual([]) }) },
  { rpc: "AuthService/RenameWebauthnCredential", ok: () => ({ req: { id: "no-such-credential", name: "laptop" }, token: fx.carol }), bad: () => ({ id: "x", name: "" }), expect: "NOT_FOUND" },
  { rpc: "AuthService/RemoveWebauthnCredential", ok: () => ({ req: { id: "no-such-credential" }, token: fx.carol }), bad: () => ({ id: "x".repeat(100) }), expect: "NOT_FOUND" },
  { rpc: "AccountService/CreateInvite", ok: () => ({ req: { id: fx.invitee }, check: (r) => { fx.inviteToken = /\/invite\/([A-Za-z0-9_-]{43})$/.exec(r.url)![1]!; } }), deniedFor: () => fx.carol, bad: () => ({ id: "x" }) },
  { rpc: "AuthService/AcceptInvite", ok: () => ({ req: { token: fx.inviteToken, password: "invitee-password-123" }, token: null, check: (r) => expect(r.token.split(".").length).toBe(3) }), bad: () => ({ token: "", password: "x" }) },
  { rpc: "AccountService/ListAccountWebauthnCredentials", ok: () => ({ req: { id: fx.dave }, check: (r) => expect(r.credentials).toEqual([]) }), deniedFor: () => fx.carol, bad: () => ({ id: "x" }) },
  // (An unknown credential is NOT_FOUND before any permission question, over REST too.)
  { rpc: "AccountService/RemoveAccountWebauthnCredential", ok: () => ({ req: { id: fx.dave, cred_id: "no-such-credential" } }), bad: () => ({ id: fx.dave, cred_id: "x".repeat(100) }), expect: "NOT_FOUND" },
  { rpc: "AuthService/ChangePassword", ok: () => ({ req: { current_password: "erin-password-123", new_password: "erin-password-456" }, token: fx.erinTok }), bad: () => ({ current_password: "x", new_password: "" }) },
  { rpc: "AuthService/Renew", ok: () => ({ req: {}, token: fx.frankTok, check: (r) => { fx.frankTok = r.token; } }), bad: () => ({ audience: "" }) },
  { rpc: "AuthService/Logout", ok: () => ({ req: {}, token: fx.frankTok }) },
  { rpc: "TokenService/ValidateToken", ok: () => ({ req: { token: fx.admin }, token: null, check: (r) => expect(r).toMatchObject({ valid: true, username: "admin" }) }), bad: () => ({ token: "x".repeat(20_000) }) },
  { rpc: "TokenService/GetPublicKey", ok: () => ({ req: {}, token: null, check: (r) => expect(r).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA" }) }) },
  { rpc: "TokenService/GetJwks", ok: () => ({ req: {}, token: null, check: (r) => expect(r.keys.length).toBe(1) }) },
  { rpc: "TokenService/ListTokens", ok: () => ({ req: { id: fx.svc }, check: (r) => expect(r.tokens.length).toBeGreaterThan(0) }), deniedFor: () => fx.carol, bad: () => ({ id: "not-a-uuid" }) },
  { rpc: "TokenService/IssueServiceToken", ok: () => ({ req: { id: fx.svc }, check: (r) => expect(r.jti).toBeString() }), deniedFor: () => fx.carol, bad: () => ({ id: "not-a-uuid" }) },
  { rpc: "TokenService/RevokeToken", ok: () => ({ req: { jti: fx.svcJti } }), deniedFor: () => fx.carol, bad: () => ({ jti: "" }) },
  { rpc: "TokenService/GrantDelegate", ok: () => ({ req: { id: fx.svc, grantee_id: fx.dave }, check: (r) => expect(r).toMatchObject({ created: true, grant: { grantee_id: fx.dave } }) }), deniedFor: () => fx.carol, bad: () => ({ id: fx.svc, grantee_id: "x" }) },
  { rpc: "TokenService/ListDelegates", ok: () => ({ req: { id: fx.svc }, check: (r) => expect(r.grants.length).toBe(1) }), deniedFor: () => fx.carol, bad: () => ({ id: "x" }) },
  { rpc: "TokenService/RevokeDelegate", ok: () => ({ req: { id: fx.svc, grantee_id: fx.dave } }), deniedFor: () => fx.carol, bad: () => ({ id: fx.svc }) },
  { rpc: "AccountService/CreateAccount", ok: () => ({ req: { username: "grpc-made", account_type: "system" }, check: (r) => expect(r).toMatchObject({ username: "grpc-made", status: "active" }) }), deniedFor: () => fx.carol, bad: () => ({ username: "Not Valid", account_type: "system" }) },
  { rpc: "AccountService/ListAccounts", ok: () => ({ req: {}, check: (r) => expect(r.accounts.length).toBeGreaterThan(5) }), deniedFor: () => fx.carol, bad: () => ({ status: "gone" }) },
  { rpc: "AccountService/ListAccounts", ok: () => ({ req: { username: "dave" }, check: (r) => expect(r.accounts.map((x: any) => x.username)).toEqual(["dave"]) }) },
  { rpc: "AccountService/GetAccount", ok: () => ({ req: { id: fx.dave }, check: (r) => expect(r.username).toBe("dave") }), deniedFor: () => fx.carol, bad: () => ({ id: "x" }) },
  { rpc: "AccountService/UpdateAccount", ok: () => ({ req: { id: fx.dave, status: "active" } }), deniedFor: () => fx.carol, bad: () => ({ id: fx.dave, status: "deleted" }) },
  { rpc: "AccountService/SetPassword", ok: () => ({ req: { id: fx.dave, password: "dave-password-999" } }), deniedFor: () => fx.carol, bad: () => ({ id: fx.dave, password: "" }) },
  { rpc: "AccountService/RemoveTotp", ok: () => ({ req: { id: fx.carolId } }), deniedFor: () => fx.carol, bad: () => ({ id: "x" }) },
  { rpc: "AccountService/SetRoles", ok: () => ({ req: { id: fx.dave, roles: ["ops", "dev"] }, check: (r) => expect(r.roles).toEqual(["dev", "ops"]) }), deniedFor: () => fx.carol, bad: () => ({ id: fx.dave, roles: ["NOT OK"] }) },
  { rpc: "AccountService/GrantRole", ok: () => ({ req: { id: fx.dave, role: "qa" }, check: (r) => expect(r.roles).toEqual(["dev", "ops", "qa"]) }), deniedFor: () => fx.carol, bad: () => ({ id: fx.dave, role: "" }) },
  { rpc: "AccountService/RevokeRole", ok: () => ({ req: { id: fx.dave, role: "dev" }, check: (r) => expect(r.roles).toEqual(["ops", "qa"]) }), deniedFor: () => fx.carol, bad: () => ({ id: fx.dave, role: "x".repeat(100) }) },
  { rpc: "AccountService/GetRoles", ok: () => ({ req: { id: fx.dave }, check: (r) => expect(r.roles).toEqual(["ops", "qa"]) }), deniedFor: () => fx.carol, bad: () => ({ id: "x" }) },
  { rpc: "AccountService/SetTags", ok: () => ({ req: { id: fx.dave, tags: ["env:prod"] }, check: (r) => expect(r.tags).toEqual(["env:prod"]) }), deniedFor: () => fx.carol, bad: () => ({ id: fx.dave, tags: ["x".repeat(300)] }) },
  { rpc: "AccountService/GetTags", ok: () => ({ req: { id: fx.dave }, check: (r) => expect(r.tags).toEqual(["env:prod"]) }), deniedFor: () => fx.carol, bad: () => ({ id: "x" }) },
  { rpc: "AccountService/DeleteAccount", ok: () => ({ req: { id: fx.victim } }), deniedFor: () => fx.carol, bad: () => ({ id: "x" }) },
  { rpc: "PgCredsService/SetPgCreds", ok: () => ({ req: { id: fx.svc, host: "db", port: 5432, database: "app", username: "app", password: PG_PASSWORD } }), deniedFor: () => fx.carol, bad: () => ({ id: fx.svc, host: "db" }) },
  { rpc: "PgCredsService/GetPgCreds", ok: () => ({ req: { id: fx.svc }, check: (r) => expect(r.password).toBe(PG_PASSWORD) }), deniedFor: () => fx.carol, bad: () => ({ id: "x" }) },
  { rpc: "PgCredsService/GrantPgCredsAccess", ok: () => ({ req: { id: fx.svc, grantee_id: fx.dave }, check: (r) => expect(r.created).toBe(true) }), deniedFor: () => fx.carol, bad: () => ({ id: fx.svc, grantee_id: "x" }) },
  { rpc: "PgCredsService/ListPgCredsAccess", ok: () => ({ req: { id: fx.svc }, check: (r) => expect(r.grants.length).toBe(1) }), deniedFor: () => fx.carol, bad: () => ({ id: "x" }) },
  { rpc: "PgCredsService/RevokePgCredsAccess", ok: () => ({ req: { id: fx.svc, grantee_id: fx.dave } }), deniedFor: () => fx.carol, bad: () => ({ id: fx.svc, grantee_id: "x" }) },
  { rpc: "PgCredsService/ListPgCreds", ok: () => ({ req: {}, check: (r) => expect(r.creds[0]).toMatchObject({ account_id: fx.svc, service: "svc" }) }) },
  { rpc: "PolicyService/ListRules", ok: () => ({ req: {}, check: (r) => expect(r.rules.length).toBeGreaterThan(1) }), deniedFor: () => fx.carol },
  { rpc: "PolicyService/CreateRule", ok: () => ({ req: { description: "made over grpc", effect: "deny", match: { roles: ["x"], actions: ["audit:read"] }, not_before: { seconds: 1798761600 } }, check: (r) => expect(r).toMatchObject({ description: "made over grpc", effect: "deny" }) }), deniedFor: () => fx.carol, bad: () => ({ description: "", effect: "allow" }) },
  { rpc: "PolicyService/GetRule", ok: () => ({ req: { id: fx.rule }, check: (r) => expect(r.description).toBe("grpc test rule") }), deniedFor: () => fx.carol },
  { rpc: "PolicyService/UpdateRule", ok: () => ({ req: { id: fx.rule, enabled: false }, check: (r) => expect(r.enabled).toBe(false) }), deniedFor: () => fx.carol, bad: () => ({ id: fx.rule, effect: "maybe" }) },
  { rpc: "PolicyService/Evaluate", ok: () => ({ req: { subject_id: fx.dave, action: "audit:read", resource: { type: "audit" } }, check: (r) => expect(r.effect).toBeString() }), deniedFor: () => fx.carol, bad: () => ({ subject_id: "x", action: "audit:read", resource: { type: "audit" } }) },
  { rpc: "PolicyService/DeleteRule", ok: () => ({ req: { id: fx.rule } }), deniedFor: () => fx.carol },
  { rpc: "OidcService/CreateClient", ok: () => ({ req: { name: "grpc-app", redirect_uris: ["https://app.test/callback"] }, check: (r) => { fx.oidcClient = r.client.id; expect(r.client_secret.length).toBeGreaterThan(20); } }), deniedFor: () => fx.carol, bad: () => ({ name: "", redirect_uris: ["https://app.test/cb"] }) },
  { rpc: "OidcService/ListClients", ok: () => ({ req: {}, check: (r) => expect(r.clients.map((c: any) => c.name)).toContain("grpc-app") }), deniedFor: () => fx.carol },
  { rpc: "OidcService/GetClient", ok: () => ({ req: { id: fx.oidcClient }, check: (r) => expect(r.redirect_uris).toEqual(["https://app.test/callback"]) }), deniedFor: () => fx.carol },
  { rpc: "OidcService/UpdateClient", ok: () => ({ req: { id: fx.oidcClient, name: "grpc-app-2" }, check: (r) => expect(r.name).toBe("grpc-app-2") }), deniedFor: () => fx.carol, bad: () => ({ id: fx.oidcClient, name: "" }) },
  { rpc: "OidcService/RotateClientSecret", ok: () => ({ req: { id: fx.oidcClient }, check: (r) => expect(r.client_secret.length).toBeGreaterThan(20) }), deniedFor: () => fx.carol },
  { rpc: "OidcService/ListGrants", ok: () => ({ req: {}, token: fx.carol, check: (r) => expect(r.grants).toEqual([]) }) },
  { rpc: "OidcService/RevokeGrant", ok: () => ({ req: { id: "no-such-grant" }, token: fx.carol }), expect: "NOT_FOUND" },
  { rpc: "OidcService/DeleteClient", ok: () => ({ req: { id: fx.oidcClient } }), deniedFor: () => fx.carol },
  { rpc: "AuditService/Query", ok: () => ({ req: { limit: 5 }, check: (r) => expect(r.events.length).toBe(5) }), deniedFor: () => fx.carol, bad: () => ({ limit: 0 }) },
  { rpc: "AuditService/Verify", ok: () => ({ req: {}, check: (r) => expect(r.ok).toBe(true) }), deniedFor: () => fx.carol },
  { rpc: "VaultService/Status", ok: () => ({ req: {}, token: null, check: (r) => expect(r.sealed).toBe(false) }) },
  { rpc: "VaultService/Unseal", ok: () => ({ req: { passphrase: "anything" }, token: null, check: (r) => expect(r.sealed).toBe(false) }), bad: () => ({ passphrase: "" }) },
  // Seal's success path runs in the sealed-server block below (it would seal this one).
];

describe("every RPC", () => {
  test("the table covers every mcias.v1 unary RPC", () => {
    const all = Object.entries(RPCS).flatMap(([svc, r]) => Object.keys(r).map((m) => `${svc.replace("mcias.v1.", "")}/${m}`));
    expect(all.filter((m) => !CASES.some((c) => c.rpc === m) && m !== "VaultService/Seal")).toEqual([]);
    expect(CASES.filter((c) => !all.includes(c.rpc)).map((c) => c.rpc)).toEqual([]);
  });

  for (const c of CASES) {
    const rule = RPCS[`mcias.v1.${c.rpc.split("/")[0]}`]![c.rpc.split("/")[1]!]!;
    test(`${c.rpc}: ${rule.auth ? "UNAUTHENTICATED, " : ""}${c.deniedFor ? "PERMISSION_DENIED, " : ""}${c.bad ? "INVALID_ARGUMENT, " : ""}${c.expect ?? "OK"}`, async () => {
      const method = `mcias.v1.${c.rpc}`;
      if (rule.auth) {
        expect(code(await g.call(method, c.ok().req))).toEqual({ name: "UNAUTHENTICATED", mcias: "unauthorized" });
        expect(code(await g.call(method, c.ok().req, { metadata: { authorization: `Basic ${btoa("admin:x")}` } }))).toEqual({ name: "UNAUTHENTICATED", mcias: "unauthorized" });
      }
      if (c.deniedFor) {
        const req = c.rpc === "AuthService/TotpEnroll" ? {} : c.ok().req; // step-up missing: 403 in REST too
        expect(code(await g.call(method, req, { token: c.deniedFor() }))).toEqual({ name: "PERMISSION_DENIED", mcias: "forbidden" });
      }
      if (c.bad) {
        const tok = c.ok().token;
        const r = await g.call(method, c.bad(), tok === null ? undefined : { token: tok ?? fx.admin });
        expect({ ...code(r), details: r.details.length > 0 }).toEqual({ name: "INVALID_ARGUMENT", mcias: "bad_request", details: true });
      }
      const ok = c.ok();
      const r = await g.call(method, ok.req, ok.token === null ? undefined : { token: ok.token ?? fx.admin });
      if (c.expect) {
        expect(r.name).toBe(c.expect);
        return;
      }
      expect({ name: r.name, details: r.details }).toEqual({ name: "OK", details: "" });
      ok.check?.(r.res!);
    }, 30_000);
  }

  test("errors map as SPEC §13 says: NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION", async () => {
    expect(code(await g.call("mcias.v1.AccountService/GetAccount", { id: U }, { token: fx.admin }))).toEqual({ name: "NOT_FOUND", mcias: "not_found" });
    expect(code(await g.call("mcias.v1.AccountService/CreateAccount", { username: "dave", account_type: "human" }, { token: fx.admin }))).toEqual({ name: "ALREADY_EXISTS", mcias: "conflict" });
    expect(code(await g.call("mcias.v1.AccountService/SetRoles", { id: fx.victim, roles: [] }, { token: fx.admin }))).toEqual({ name: "FAILED_PRECONDITION", mcias: "conflict" });
    // Wrong password: the same UNAUTHENTICATED as every other login failure.
    expect(code(await g.call("mcias.v1.AuthService/Login", { username: "admin", password: "wrong-password-1" }))).toEqual({ name: "UNAUTHENTICATED", mcias: "unauthorized" });
    expect(code(await g.call("mcias.v1.AuthService/Login", { username: "nobody-here", password: "wrong-password-1" }))).toEqual({ name: "UNAUTHENTICATED", mcias: "unauthorized" });
    // A message over 64 KiB is refused before any handler.
    expect((await g.call("mcias.v1.TokenService/ValidateToken", { token: "x".repeat(70_000) })).name).toBe("RESOURCE_EXHAUSTED");
  });
});

describe("the same service calls as REST", () => {
  test("the same operations over REST and gRPC write the same audit rows", async () => {
    const rows = async (id: string) => {
      const r = await s.call("GET", `/v1/audit?account=${id}&limit=50`, { token: fx.admin });
      return (r.body.events as any[]).reverse().map((e) => ({
        type: e.type, actor: e.actor, ip: e.ip, target: e.target?.replace(/^(rest|grpc)-/, "X-"),
        details: JSON.stringify(e.details).replace(/(rest|grpc)-/g, "X-").replace(/[0-9a-f-]{36}/g, "<id>"),
      }));
    };
    // REST
    const ra = await s.call("POST", "/v1/accounts", { token: fx.admin, json: { username: "rest-acct", account_type: "human", password: "rest-password-123", roles: ["dev"] } });
    await s.call("POST", `/v1/accounts/${ra.body.id}/roles`, { token: fx.admin, json: { role: "ops" } });
    await s.call("PUT", `/v1/accounts/${ra.body.id}/tags`, { token: fx.admin, json: { tags: ["env:prod"] } });
    await s.call("POST", "/v1/auth/login", { json: { username: "rest-acct", password: "wrong-password-9" } });
    await s.call("PATCH", `/v1/accounts/${ra.body.id}`, { token: fx.admin, json: { status: "inactive" } });
    await s.call("DELETE", `/v1/accounts/${ra.body.id}`, { token: fx.admin });
    // gRPC
    const ga = await g.call("mcias.v1.AccountService/CreateAccount", { username: "grpc-acct", account_type: "human", password: "grpc-password-123", roles: ["dev"] }, { token: fx.admin });
    const gid = ga.res!.id;
    await g.call("mcias.v1.AccountService/GrantRole", { id: gid, role: "ops" }, { token: fx.admin });
    await g.call("mcias.v1.AccountService/SetTags", { id: gid, tags: ["env:prod"] }, { token: fx.admin });
    await g.call("mcias.v1.AuthService/Login", { username: "grpc-acct", password: "wrong-password-9" });
    await g.call("mcias.v1.AccountService/UpdateAccount", { id: gid, status: "inactive" }, { token: fx.admin });
    await g.call("mcias.v1.AccountService/DeleteAccount", { id: gid }, { token: fx.admin });
    const restRows = await rows(ra.body.id);
    expect(restRows.map((r) => r.type)).toEqual(["account_created", "role_granted", "tags_updated", "login_fail", "account_updated", "account_deleted"]);
    expect(await rows(gid)).toEqual(restRows);
  });

  test("a call denied by an explicit rule writes the same policy_deny row over both", async () => {
    const rule = await s.call("POST", "/v1/policy/rules", { token: fx.admin, json: { description: "carol may not read accounts", effect: "deny", match: { subject_ids: [fx.carolId], actions: ["accounts:read"] } } });
    expect(rule.status).toBe(201);
    const count = async () => (await s.call("GET", `/v1/audit?type=policy_deny&limit=500`, { token: fx.admin })).body.events.length as number;
    const before = await count();
    await s.call("GET", `/v1/accounts/${fx.dave}`, { token: fx.carol });
    const afterRest = await count();
    await g.call("mcias.v1.AccountService/GetAccount", { id: fx.dave }, { token: fx.carol });
    const afterGrpc = await count();
    expect(afterRest - before).toBe(1);
    expect(afterGrpc - afterRest).toBe(1);
    await s.call("DELETE", `/v1/policy/rules/${rule.body.id}`, { token: fx.admin });
  });
});

describe("AuditService/Watch", () => {
  test("streams new events to an admin as they are written; refuses a non-admin", async () => {
    const stub = g.stub("mcias.v1.AuditService") as any;
    const md = new Metadata();
    md.set("authorization", `Bearer ${fx.admin}`);
    const stream = stub.Watch({ type: "tags_updated" }, md);
    const got = new Promise<any>((resolve, reject) => {
      stream.on("data", (ev: any) => { if (ev.target === "dave") resolve(ev); });
      stream.on("error", reject);
    });
    // The stream is open once the server has taken its starting point; keep changing until an event arrives.
    let ev: any;
    for (let i = 0; i < 10 && !ev; i++) {
      await s.call("PUT", `/v1/accounts/${fx.dave}/tags`, { token: fx.admin, json: { tags: [`n:${i}`] } });
      ev = await Promise.race([got, Bun.sleep(250).then(() => undefined)]);
    }
    expect(ev).toMatchObject({ type: "tags_updated", target: "dave", actor: "admin" });
    expect(JSON.parse(ev.details_json)).toHaveProperty("after");
    expect(ev.time.seconds).toBeGreaterThan(1_700_000_000);
    stream.cancel();
    if (!ev) console.log(s.logs().slice(-30).join("\n"));

    const md2 = new Metadata();
    md2.set("authorization", `Bearer ${fx.carol}`);
    const denied = stub.Watch({}, md2);
    const err = await new Promise<any>((resolve) => { denied.on("error", resolve); denied.on("data", () => {}); });
    expect(err.code).toBe(status.PERMISSION_DENIED);
    expect(err.metadata.get("mcias-code")[0]).toBe("forbidden");
  }, 60_000);
});

describe("grpcurl (reflection only, no proto files)", () => {
  const grpcurl = async (args: string[], token?: string) => {
    const p = Bun.spawn(["grpcurl", "-cacert", join(s.dir, "server.crt"), ...(token ? ["-H", `authorization: Bearer ${token}`] : []), ...args], { stdout: "pipe", stderr: "pipe", env: { ...Bun.env, PATH: `${Bun.env.HOME}/go/bin:${Bun.env.PATH}` } });
    const [out, err, c] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { out, err, code: c };
  };

  test("list, describe a message with a Timestamp, and call Login, ValidateToken, ListAccounts", async () => {
    const list = await grpcurl([s.grpc!, "list"]);
    expect(list.code).toBe(0);
    expect(list.out.trim().split("\n").sort()).toEqual([
      "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
      "mcias.v1.AccountService", "mcias.v1.AuditService", "mcias.v1.AuthService", "mcias.v1.OidcService",
      "mcias.v1.PgCredsService", "mcias.v1.PolicyService", "mcias.v1.TokenService", "mcias.v1.VaultService",
    ]);
    const desc = await grpcurl([s.grpc!, "describe", "mcias.v1.Account"]);
    expect(desc.code).toBe(0);
    expect(desc.out).toContain(".google.protobuf.Timestamp created_at = 8;");
    const svc = await grpcurl([s.grpc!, "describe", "mcias.v1.AuditService"]);
    expect(svc.out).toContain("rpc Watch ( .mcias.v1.WatchRequest ) returns ( stream .mcias.v1.AuditEvent );");
    const login = await grpcurl(["-d", JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }), s.grpc!, "mcias.v1.AuthService/Login"]);
    expect(login.code).toBe(0);
    const tok = JSON.parse(login.out);
    expect(tok.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/);
    const v = await grpcurl(["-d", JSON.stringify({ token: tok.token }), s.grpc!, "mcias.v1.TokenService/ValidateToken"]);
    expect(JSON.parse(v.out)).toMatchObject({ valid: true, username: "admin" });
    const accts = await grpcurl([s.grpc!, "mcias.v1.AccountService/ListAccounts"], tok.token);
    expect(JSON.parse(accts.out).accounts.map((a: any) => a.username)).toContain("carol");
    const health = await grpcurl([s.grpc!, "grpc.health.v1.Health/Check"]);
    expect(JSON.parse(health.out)).toEqual({ status: "SERVING" });
    const noauth = await grpcurl(["-v", s.grpc!, "mcias.v1.AccountService/ListAccounts"]);
    expect(noauth.code).not.toBe(0);
    expect(noauth.out + noauth.err).toContain("mcias-code: unauthorized");
    expect(noauth.out + noauth.err).toContain("Unauthenticated");
  }, 60_000);

  test("reflection v1alpha answers too (older clients)", async () => {
    const stub = g.stub("grpc.reflection.v1alpha.ServerReflection") as any;
    const call = stub.ServerReflectionInfo();
    const res = await new Promise<any>((resolve, reject) => { call.on("data", resolve); call.on("error", reject); call.write({ list_services: "" }); });
    call.end();
    expect(res.list_services_response.service.map((x: any) => x.name)).toContain("mcias.v1.AuthService");
  });
});

describe("no secret in responses or logs", () => {
  test("log lines carry method, status, peer and duration only", () => {
    const lines = s.logs();
    const grpcLines = lines.filter((l) => l.includes('"msg":"grpc"'));
    expect(grpcLines.length).toBeGreaterThan(50);
    for (const l of grpcLines) expect(Object.keys(JSON.parse(l)).sort()).toEqual(["ip", "level", "method", "ms", "msg", "status", "time"]);
    const all = lines.join("\n");
    for (const secret of [ADMIN_PASSWORD, PG_PASSWORD, "carol-password-123", "erin-password-456", "grpc-password-123", fx.admin, fx.carol]) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
    expect(all).not.toContain("    at ");
  });

  test("no response message carries a hash, TOTP secret or pg password outside the calls that return one", async () => {
    const acct = await g.call("mcias.v1.AccountService/GetAccount", { id: fx.carolId }, { token: fx.admin });
    expect(Object.keys(acct.res!).sort()).toEqual(["account_type", "created_at", "id", "roles", "status", "tags", "totp_enabled", "updated_at", "username"]);
    const list = await g.call("mcias.v1.PgCredsService/ListPgCreds", {}, { token: fx.admin });
    expect(JSON.stringify(list.res)).not.toContain(PG_PASSWORD);
    const grantee = await createHuman(s, "grantee");
    await g.call("mcias.v1.PgCredsService/GrantPgCredsAccess", { id: fx.svc, grantee_id: grantee }, { token: fx.admin });
    const gt = await s.login("grantee", "grantee-password-123");
    const meta = await g.call("mcias.v1.PgCredsService/GetPgCreds", { id: fx.svc }, { token: gt });
    expect(meta.name).toBe("OK");
    expect(meta.res!.password ?? null).toBeNull();
    expect(JSON.stringify(meta.res)).not.toContain(PG_PASSWORD);
  });
});

describe("sealed vault and the shared rate limit (own server)", () => {
  const PASS = "grpc-sealed-passphrase-long-enough";
  let z: TestServer;
  let zg: GrpcChannel;
  beforeAll(async () => {
    z = await startServer({
      grpc: true, passphrase: PASS, startSealed: true,
      sections: { rate_limit: "login_rate = 0.01\nlogin_burst = 4\nvalidate_rate = 10000\nvalidate_burst = 10000\nunseal_rate = 1000\nunseal_burst = 1000" },
    });
    zg = grpcChannel(z);
  }, 90_000);
  afterAll(async () => { zg?.close(); await z?.stop(); if (z) removeDir(z.dir); });

  test("sealed: every RPC but vault status/unseal is UNAVAILABLE (vault_sealed); Health NOT_SERVING; reflection still works", async () => {
    const wrong: string[] = [];
    for (const [svc, rpcs] of Object.entries(RPCS)) {
      for (const name of Object.keys(rpcs)) {
        if (svc === "mcias.v1.VaultService" && (name === "Status" || name === "Unseal")) continue;
        const r = await zg.call(`${svc}/${name}`, {}, { token: "x.y.z" });
        if (r.name !== "UNAVAILABLE" || r.mciasCode !== "vault_sealed") wrong.push(`${svc}/${name}: ${r.name} ${r.mciasCode}`);
      }
    }
    expect(wrong).toEqual([]);
    expect((await zg.call("grpc.health.v1.Health/Check", {})).res).toEqual({ status: "NOT_SERVING" });
    expect((await zg.call("mcias.v1.VaultService/Status", {})).res).toEqual({ sealed: true });
    const refl = zg.stub("grpc.reflection.v1.ServerReflection") as any;
    const call = refl.ServerReflectionInfo();
    const res = await new Promise<any>((resolve, reject) => { call.on("data", resolve); call.on("error", reject); call.write({ file_containing_symbol: "mcias.v1.VaultService" }); });
    call.end();
    // mcias/v1/mcias.proto and its one import, google/protobuf/timestamp.proto.
    expect(res.file_descriptor_response.file_descriptor_proto.length).toBe(2);
  });

  test("unseal over gRPC (wrong passphrase UNAUTHENTICATED), then SERVING; seal over gRPC, NOT_SERVING again (Check and Watch)", async () => {
    expect(code(await zg.call("mcias.v1.VaultService/Unseal", { passphrase: "wrong-passphrase-here-x" }))).toEqual({ name: "UNAUTHENTICATED", mcias: "unauthorized" });
    expect((await zg.call("mcias.v1.VaultService/Unseal", { passphrase: PASS })).res).toEqual({ sealed: false });
    expect((await zg.call("grpc.health.v1.Health/Check", {})).res).toEqual({ status: "SERVING" });
    const tok = (await zg.call("mcias.v1.AuthService/Login", { username: "admin", password: ADMIN_PASSWORD })).res!.token;
    // Health/Watch sees the change as it happens.
    const hw = (zg.stub("grpc.health.v1.Health") as any).Watch({ service: "" });
    const seen: string[] = [];
    const notServing = new Promise<void>((resolve, reject) => {
      hw.on("data", (m: any) => { seen.push(m.status); if (m.status === "NOT_SERVING") resolve(); });
      hw.on("error", (e: any) => { if (e.code !== status.CANCELLED) reject(e); });
    });
    expect(code(await zg.call("mcias.v1.VaultService/Seal", {}, { token: "not-a-token" }))).toEqual({ name: "UNAUTHENTICATED", mcias: "unauthorized" });
    expect((await zg.call("mcias.v1.VaultService/Seal", {}, { token: tok })).res).toEqual({ sealed: true });
    await Promise.race([notServing, Bun.sleep(10_000).then(() => { throw new Error(`Health/Watch saw ${seen.join(",")}`); })]);
    expect(seen).toEqual(["SERVING", "NOT_SERVING"]);
    hw.cancel();
    expect((await zg.call("grpc.health.v1.Health/Check", {})).res).toEqual({ status: "NOT_SERVING" });
    const rows = await z.mcias(["db", "audit", "query", "--type", "vault_sealed", "--json"], { env: { MCIAS_TEST_PASSPHRASE: PASS } });
    expect(rows.stdout).toContain('"actor":"admin"');
    expect((await zg.call("mcias.v1.VaultService/Unseal", { passphrase: PASS })).res).toEqual({ sealed: false });
  }, 60_000);

  test("login draws from the same per-IP bucket over REST and gRPC: RESOURCE_EXHAUSTED (rate_limited, retry-after) after the burst", async () => {
    // One login was used by the previous test; burst 4, refill ~0.
    expect((await z.call("POST", "/v1/auth/login", { json: { username: "admin", password: ADMIN_PASSWORD } })).status).toBe(200);
    expect((await zg.call("mcias.v1.AuthService/Login", { username: "admin", password: ADMIN_PASSWORD })).name).toBe("OK");
    expect((await z.call("POST", "/v1/auth/login", { json: { username: "admin", password: ADMIN_PASSWORD } })).status).toBe(200);
    const limited = await zg.call("mcias.v1.AuthService/Login", { username: "admin", password: ADMIN_PASSWORD });
    expect(code(limited)).toEqual({ name: "RESOURCE_EXHAUSTED", mcias: "rate_limited" });
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect((await z.call("POST", "/v1/auth/login", { json: { username: "admin", password: ADMIN_PASSWORD } })).status).toBe(429);
  }, 60_000);
});
