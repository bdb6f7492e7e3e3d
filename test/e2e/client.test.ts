/**
 * @mcias/client against the real server (SPEC §3): every method once, every error
 * class once, the CA option, and no secret in any error. Also checks at compile time
 * that the client's hand-written types match the server's schemas both ways.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import * as OTPAuth from "otpauth";
import { createRemoteJWKSet, customFetch, jwtVerify } from "jose";
import type { Account as AccountSchema, TokenResponse as TokenResponseSchema } from "../../src/schemas/common";
import type { TokenInfo as TokenInfoSchema } from "../../src/schemas/accounts";
import type { AuditEvent as AuditEventSchema, AuditPage as AuditPageSchema } from "../../src/schemas/audit";
import type { TotpEnrollResponse, ValidateResponse as ValidateResponseSchema } from "../../src/schemas/auth";
import type { PgCred, PgCredListItem, SetPgCredBody } from "../../src/schemas/pgcreds";
import type { Grant as GrantSchema, IssuedServiceToken } from "../../src/schemas/serviceAccounts";
import type { CreateRuleBody, EvaluateResult, Rule, UpdateRuleBody } from "../../src/schemas/policy";
import type { CreateAccountBody } from "../../src/schemas/accounts";
import {
  ApiError, BadRequestError, ConflictError, ForbiddenError, InternalServerError, McIasClient, McIasError,
  NotFoundError, PayloadTooLargeError, RateLimitedError, TransportError, UnauthorizedError, VaultSealedError,
  type Account, type AuditEvent, type AuditPage, type CreateAccountRequest, type CreatePolicyRuleRequest,
  type EvaluateResponse, type Grant, type IssuedToken, type PgCreds, type PgCredsSummary, type PolicyRule,
  type SetPgCredsRequest, type TokenInfo, type TokenResponse, type TotpEnrollment, type UpdatePolicyRuleRequest,
  type ValidateResponse,
} from "../../src/client/index";
import { ADMIN_PASSWORD, type TestServer, useServer } from "../helpers/server";

// ---- compile-time: client types ⇄ server schemas ----------------------------------
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typeChecks: [
  Same<Account, typeof AccountSchema.static>, Same<TokenResponse, typeof TokenResponseSchema.static>,
  Same<TokenInfo, typeof TokenInfoSchema.static>, Same<AuditEvent, typeof AuditEventSchema.static>,
  Same<AuditPage, typeof AuditPageSchema.static>, Same<TotpEnrollment, typeof TotpEnrollResponse.static>,
  Same<ValidateResponse, typeof ValidateResponseSchema.static>, Same<PgCreds, typeof PgCred.static>,
  Same<PgCredsSummary, typeof PgCredListItem.static>, Same<SetPgCredsRequest, typeof SetPgCredBody.static>,
  Same<Grant, typeof GrantSchema.static>, Same<IssuedToken, typeof IssuedServiceToken.static>,
  Same<EvaluateResponse, typeof EvaluateResult.static>, Same<CreateAccountRequest, typeof CreateAccountBody.static>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true];
// Policy shapes use string unions on the client where the server has plain strings: one way.
const ruleChecks: [
  PolicyRule extends typeof Rule.static ? true : false,
  CreatePolicyRuleRequest extends typeof CreateRuleBody.static ? true : false,
  UpdatePolicyRuleRequest extends typeof UpdateRuleBody.static ? true : false,
] = [true, true, true];
void typeChecks; void ruleChecks;

const PASS = "client-test-passphrase-1";
let s: TestServer;
let admin: McIasClient;
const client = (token?: string) => new McIasClient({ serverUrl: s.url, caCert: s.ca, token });

/** Runs fn and returns what it threw (fails the test if it did not throw). */
async function thrown(fn: () => Promise<unknown>): Promise<McIasError> {
  try { await fn(); } catch (e) { return e as McIasError; }
  throw new Error("expected an error");
}

useServer((x) => { s = x; }, { passphrase: PASS });
beforeAll(async () => {
  admin = client();
  await admin.login("admin", ADMIN_PASSWORD);
});

describe("system and auth", () => {
  test("health, public key, jwks; a token verifies locally against the JWKS", async () => {
    const c = client();
    expect(await c.health()).toEqual({ status: "ok" });
    const jwk = await c.publicKey();
    expect(jwk).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    expect((await c.jwks()).keys).toEqual([jwk]);
    const tok = await c.login("admin", ADMIN_PASSWORD);
    const jwks = createRemoteJWKSet(new URL(`${s.url}/.well-known/jwks.json`), {
      [customFetch]: (u: string, o: RequestInit) => fetch(u, { ...o, tls: { ca: s.ca } } as RequestInit),
    });
    const { payload } = await jwtVerify(tok.token, jwks, { issuer: "https://mcias.test", algorithms: ["EdDSA"] });
    expect(payload.username).toBe("admin");
  });

  test("login sets the token; me, renew (old revoked), validate, logout", async () => {
    const c = client();
    expect(c.token).toBeUndefined();
    const t1 = await c.login("admin", ADMIN_PASSWORD);
    expect(c.token).toBe(t1.token);
    expect((await c.me()).username).toBe("admin");
    const t2 = await c.renew();
    expect(c.token).toBe(t2.token);
    expect(await c.validateToken(t1.token)).toEqual({ valid: false });
    const v = await c.validateToken(t2.token);
    expect(v.valid).toBe(true);
    if (v.valid) expect(v.username).toBe("admin");
    await c.logout();
    expect(c.token).toBeUndefined();
    expect(await c.validateToken(t2.token)).toEqual({ valid: false });
    // Without a token an authenticated call is the server's 401.
    expect((await thrown(() => c.me())).code).toBe("unauthorized");
    c.setToken(admin.token);
    expect((await c.me()).username).toBe("admin");
    c.setToken(undefined);
    expect(c.token).toBeUndefined();
  });

  test("the server URL must be https (plain http only to loopback)", () => {
    expect(() => new McIasClient({ serverUrl: "http://auth.example.com" })).toThrow(TypeError);
    expect(() => new McIasClient({ serverUrl: "ftp://127.0.0.1" })).toThrow(TypeError);
    expect(() => new McIasClient({ serverUrl: "not a url" })).toThrow(TypeError);
    expect(new McIasClient({ serverUrl: "https://auth.example.com:8443/" }).serverUrl).toBe("https://auth.example.com:8443");
    expect(new McIasClient({ serverUrl: "http://127.0.0.1:8080" }).serverUrl).toBe("http://127.0.0.1:8080");
  });

  test("changePassword, totpEnroll/totpConfirm, then login needs the code", async () => {
    const a = await admin.createAccount({ username: "cl-dora", account_type: "human", password: "dora-password-123" });
    const d = client();
    await d.login("cl-dora", "dora-password-123");
    await d.changePassword("dora-password-123", "dora-password-456");
    expect((await thrown(() => client().login("cl-dora", "dora-password-123"))).code).toBe("unauthorized");
    await d.login("cl-dora", "dora-password-456");
    const e = await d.totpEnroll("dora-password-456");
    expect(e.otpauth_uri).toStartWith("otpauth://totp/");
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(e.secret), digits: 6, period: 30, algorithm: "SHA1" });
    await d.totpConfirm(totp.generate());
    expect((await admin.getAccount(a.id)).totp_enabled).toBe(true);
    expect((await thrown(() => client().login("cl-dora", "dora-password-456"))).code).toBe("unauthorized");
    // The next step's code (±1 step drift is accepted; the confirm code may not be replayed).
    const ok = await client().login("cl-dora", "dora-password-456", totp.generate({ timestamp: Date.now() + 30_000 }));
    expect(ok.token).toBeString();
    await admin.removeTotp(a.id);
    expect((await admin.getAccount(a.id)).totp_enabled).toBe(false);
  });
});

describe("accounts, roles, tags, tokens", () => {
  test("account CRUD, set password, list filters", async () => {
    const a = await admin.createAccount({ username: "cl-erin", account_type: "human", password: "erin-password-123", roles: ["dev"] });
    expect(a).toMatchObject({ username: "cl-erin", account_type: "human", status: "active", roles: ["dev"] });
    expect((await admin.getAccount(a.id)).id).toBe(a.id);
    expect((await admin.listAccounts()).map((x) => x.username)).toContain("cl-erin");
    expect((await admin.updateAccount(a.id, { status: "inactive" })).status).toBe("inactive");
    expect((await admin.updateAccount(a.id, { status: "active" })).status).toBe("active");
    const e = client();
    await e.login("cl-erin", "erin-password-123");
    await admin.setAccountPassword(a.id, "erin-password-999");
    expect((await thrown(() => e.me())).code).toBe("unauthorized");
    await client().login("cl-erin", "erin-password-999");
    await admin.deleteAccount(a.id);
    expect((await admin.listAccounts()).map((x) => x.id)).not.toContain(a.id);
    expect((await admin.listAccounts({ status: "deleted" })).map((x) => x.id)).toContain(a.id);
  });

  test("roles and tags", async () => {
    const a = await admin.createAccount({ username: "cl-finn", account_type: "system" });
    expect(await admin.getRoles(a.id)).toEqual([]);
    expect((await admin.setRoles(a.id, ["b", "a"])).sort()).toEqual(["a", "b"]);
    expect((await admin.grantRole(a.id, "c")).sort()).toEqual(["a", "b", "c"]);
    expect((await admin.revokeRole(a.id, "a")).sort()).toEqual(["b", "c"]);
    expect(await admin.getTags(a.id)).toEqual([]);
    expect((await admin.setTags(a.id, ["env:prod", "x"])).sort()).toEqual(["env:prod", "x"]);
    expect((await admin.getTags(a.id)).sort()).toEqual(["env:prod", "x"]);
  });

  test("service token: issue (previous revoked), list, revoke by jti", async () => {
    const a = await admin.createAccount({ username: "cl-svc", account_type: "system" });
    const t1 = await admin.issueServiceToken(a.id);
    const t2 = await admin.issueServiceToken(a.id);
    expect(await admin.validateToken(t1.token)).toEqual({ valid: false });
    expect((await admin.validateToken(t2.token)).valid).toBe(true);
    const list = await admin.listTokens(a.id);
    expect(list.map((t) => t.jti).sort()).toEqual([t1.jti, t2.jti].sort());
    await admin.revokeToken(t2.jti);
    expect(await admin.validateToken(t2.token)).toEqual({ valid: false });
    expect((await admin.listTokens(a.id)).find((t) => t.jti === t2.jti)?.revoked_at).toBeString();
  });

  test("delegates", async () => {
    const svc = await admin.createAccount({ username: "cl-svc2", account_type: "system" });
    const h = await admin.createAccount({ username: "cl-gail", account_type: "human", password: "gail-password-123" });
    const g = await admin.grantDelegate(svc.id, h.id);
    expect(g).toMatchObject({ grantee_id: h.id, username: "cl-gail" });
    expect((await admin.listDelegates(svc.id)).map((x) => x.grantee_id)).toEqual([h.id]);
    const gail = client();
    await gail.login("cl-gail", "gail-password-123");
    expect((await gail.issueServiceToken(svc.id)).token).toBeString();
    await admin.revokeDelegate(svc.id, h.id);
    expect(await admin.listDelegates(svc.id)).toEqual([]);
    expect((await thrown(() => gail.issueServiceToken(svc.id))).code).toBe("forbidden");
  });

  test("pgcreds: set, get (with password), list, grants (metadata only)", async () => {
    const svc = await admin.createAccount({ username: "cl-db", account_type: "system" });
    const h = await admin.createAccount({ username: "cl-hank", account_type: "human", password: "hank-password-123" });
    await admin.setPgCreds(svc.id, { host: "db.local", port: 5432, database: "app", username: "app", password: "pg-secret-1" });
    expect(await admin.getPgCreds(svc.id)).toEqual({ host: "db.local", port: 5432, database: "app", username: "app", password: "pg-secret-1" });
    expect((await admin.listPgCreds()).find((x) => x.account_id === svc.id)).toMatchObject({ service: "cl-db", host: "db.local" });
    expect((await admin.grantPgCredsAccess(svc.id, h.id)).grantee_id).toBe(h.id);
    expect((await admin.listPgCredsAccess(svc.id)).map((x) => x.grantee_id)).toEqual([h.id]);
    const hank = client();
    await hank.login("cl-hank", "hank-password-123");
    const seen = await hank.getPgCreds(svc.id);
    expect(seen.password).toBeUndefined();
    expect(seen.host).toBe("db.local");
    await admin.revokePgCredsAccess(svc.id, h.id);
    expect(await admin.listPgCredsAccess(svc.id)).toEqual([]);
    expect((await thrown(() => hank.getPgCreds(svc.id))).code).toBe("forbidden");
  });
});

describe("policy, audit", () => {
  test("policy rules CRUD and evaluate", async () => {
    const rules = await admin.listPolicyRules();
    expect(rules.some((r) => r.id < 0)).toBe(true);
    const h = await admin.createAccount({ username: "cl-ivy", account_type: "human", password: "ivy-password-123", roles: ["auditor"] });
    const before = await admin.evaluatePolicy({ subject_id: h.id, action: "audit:read", resource: { type: "audit" } });
    expect(before.effect).toBe("deny");
    const r = await admin.createPolicyRule({ description: "auditors read audit", effect: "allow", match: { roles: ["auditor"], actions: ["audit:read"] } });
    expect(r.id).toBeGreaterThan(0);
    expect((await admin.getPolicyRule(r.id)).description).toBe("auditors read audit");
    const after = await admin.evaluatePolicy({ subject_id: h.id, action: "audit:read", resource: { type: "audit" } });
    expect(after).toEqual({ effect: "allow", rule_id: r.id, rule_description: "auditors read audit" });
    expect((await admin.updatePolicyRule(r.id, { enabled: false })).enabled).toBe(false);
    await admin.deletePolicyRule(r.id);
    expect((await thrown(() => admin.getPolicyRule(r.id))).code).toBe("not_found");
  });

  test("audit query with filters and paging", async () => {
    const page = await admin.queryAudit({ type: "login_ok", limit: 2 });
    expect(page.events.length).toBe(2);
    expect(page.events.every((e) => e.type === "login_ok")).toBe(true);
    expect(page.next_cursor).toBeString();
    const next = await admin.queryAudit({ type: "login_ok", limit: 2, cursor: page.next_cursor! });
    expect(next.events[0]!.id).toBeLessThan(page.events[1]!.id);
  });
});

describe("every error class", () => {
  test("BadRequest, NotFound, Conflict, Forbidden, Unauthorized, PayloadTooLarge carry status and code", async () => {
    const cases: [() => Promise<unknown>, Function, number, McIasError["code"]][] = [
      [() => admin.getAccount("not-a-uuid"), BadRequestError, 400, "bad_request"],
      [() => admin.getAccount(crypto.randomUUID()), NotFoundError, 404, "not_found"],
      [() => admin.createAccount({ username: "admin", account_type: "human", password: "whatever-password-1" }), ConflictError, 409, "conflict"],
      [() => client().login("admin", "wrong-password-123"), UnauthorizedError, 401, "unauthorized"],
      [() => admin.setTags(crypto.randomUUID(), ["x".repeat(70_000)]), PayloadTooLargeError, 413, "payload_too_large"],
    ];
    const h = await admin.createAccount({ username: "cl-jay", account_type: "human", password: "jay-password-123" });
    const jay = client();
    await jay.login("cl-jay", "jay-password-123");
    cases.push([() => jay.listAccounts(), ForbiddenError, 403, "forbidden"]);
    for (const [fn, cls, status, code] of cases) {
      const e = await thrown(fn);
      expect(e).toBeInstanceOf(cls);
      expect(e).toBeInstanceOf(ApiError);
      expect(e).toBeInstanceOf(McIasError);
      expect([e.status, e.code]).toEqual([status, code]);
    }
    void h;
  });

  test("no password or token appears in an error", async () => {
    const secret = "very-secret-password-xyz";
    const bad = await thrown(() => client().login("admin", secret));
    const tok = admin.token!;
    const forbidden = await thrown(() => client(tok + "x").me());
    for (const e of [bad, forbidden]) {
      const all = `${String(e)} ${e.message} ${e.stack ?? ""} ${JSON.stringify(e)}`;
      expect(all).not.toContain(secret);
      expect(all).not.toContain(tok);
    }
  });

  test("TransportError: untrusted certificate without the CA, closed port", async () => {
    const noCa = await thrown(() => new McIasClient({ serverUrl: s.url }).health());
    expect(noCa).toBeInstanceOf(TransportError);
    expect([noCa.status, noCa.code]).toEqual([0, "transport"]);
    const srv = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("x") });
    const port = srv.port;
    srv.stop(true);
    const closed = await thrown(() => new McIasClient({ serverUrl: `https://127.0.0.1:${port}`, caCert: s.ca }).health());
    expect(closed).toBeInstanceOf(TransportError);
  });

  test("InternalServerError and non-JSON replies (a stand-in server: the real one never 500s on purpose)", async () => {
    const srv = Bun.serve({
      hostname: "127.0.0.1", port: 0,
      fetch: (req) => new URL(req.url).pathname === "/v1/health"
        ? new Response("<html>oops</html>", { status: 200, headers: { "content-type": "text/html" } })
        : Response.json({ error: "internal error", code: "internal" }, { status: 500 }),
    });
    try {
      const c = new McIasClient({ serverUrl: `http://127.0.0.1:${srv.port}` });
      const e = await thrown(() => c.vaultStatus());
      expect(e).toBeInstanceOf(InternalServerError);
      expect([e.status, e.code]).toEqual([500, "internal"]);
      expect(await thrown(() => c.health())).toBeInstanceOf(TransportError);
    } finally { srv.stop(true); }
  });

  test("vault: seal → VaultSealedError and health sealed; unseal wrong → 401, flood → RateLimitedError(retryAfter); unseal", async () => {
    expect(await admin.vaultStatus()).toEqual({ sealed: false });
    expect(await admin.seal()).toEqual({ sealed: true });
    const sealed = await thrown(() => admin.me());
    expect(sealed).toBeInstanceOf(VaultSealedError);
    expect([sealed.status, sealed.code]).toEqual([503, "vault_sealed"]);
    expect(await admin.health()).toEqual({ status: "sealed" });
    const wrong = await thrown(() => client().unseal("not-the-passphrase"));
    expect(wrong).toBeInstanceOf(UnauthorizedError);
    const flood = await Promise.all(Array.from({ length: 20 }, () => thrown(() => client().unseal("not-the-passphrase"))));
    const limited = flood.find((e) => e instanceof RateLimitedError) as RateLimitedError | undefined;
    expect(limited).toBeDefined();
    expect(limited!.status).toBe(429);
    expect(limited!.retryAfter).toBeGreaterThanOrEqual(1);
    // Wait out the bucket (an awaited condition, not a fixed sleep).
    for (let i = 0; ; i++) {
      try { expect(await client().unseal(PASS)).toEqual({ sealed: false }); break; } catch (e) {
        if (!(e instanceof RateLimitedError) || i > 20) throw e;
        await Bun.sleep((e.retryAfter ?? 1) * 1000);
      }
    }
    expect((await admin.me()).username).toBe("admin");
  }, 60_000);
});
