/** Pure parts of SPEC §15: [accounts]/[webauthn] config, recovery codes, invite tokens, log redaction. */
import { describe, expect, test } from "bun:test";
import { ConfigError, validateConfig } from "../../src/config/validate";
import { INVITE_TOKEN_RE, newInviteToken, newRecoveryCode, normalizeRecoveryCode, recoveryCodeHash } from "../../src/crypto/oneTimeSecrets";
import { redactPath } from "../../src/http/redact";

const base = (issuer = "https://auth.example.com") => ({
  server: { listen_addr: "0.0.0.0:8443", tls_cert: "c.pem", tls_key: "k.pem" },
  database: { path: "m.db" },
  tokens: { issuer },
  master_key: { passphrase_env: "MCIAS_MASTER_PASSPHRASE" },
} as Record<string, Record<string, unknown>>);

function errorOf(doc: Record<string, unknown>): string {
  try {
    validateConfig(doc, "/etc/mcias", "test");
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("[accounts] and [webauthn]", () => {
  test("defaults follow tokens.issuer; invite_ttl 72h", () => {
    const c = validateConfig(base(), "/etc/mcias", "t");
    expect(c.accounts.inviteTtlMs).toBe(72 * 3600_000);
    expect(c.webauthn).toEqual({ rpId: "auth.example.com", rpName: "MCIAS", origins: ["https://auth.example.com"] });
    const dev = validateConfig(base("https://localhost:8443"), "/etc/mcias", "t");
    expect(dev.webauthn).toEqual({ rpId: "localhost", rpName: "MCIAS", origins: ["https://localhost:8443"] });
    // an issuer that is not an https URL with a host name: localhost
    expect(validateConfig(base("https://127.0.0.1:8443"), "/etc/mcias", "t").webauthn.rpId).toBe("localhost");
  });

  test("explicit values; subdomain origins allowed", () => {
    const c = validateConfig({ ...base(), webauthn: { rp_id: "example.com", rp_name: "Home", origins: ["https://auth.example.com", "https://example.com:8443"] }, accounts: { invite_ttl: "24h" } }, "/", "t");
    expect(c.webauthn).toEqual({ rpId: "example.com", rpName: "Home", origins: ["https://auth.example.com", "https://example.com:8443"] });
    expect(c.accounts.inviteTtlMs).toBe(24 * 3600_000);
  });

  test.each([
    [{ webauthn: { rp_id: "127.0.0.1" } }, "webauthn.rp_id"],
    [{ webauthn: { rp_id: "Example.COM" } }, "webauthn.rp_id"],
    [{ webauthn: { origins: ["http://auth.example.com"] } }, "webauthn.origins"],
    [{ webauthn: { origins: ["https://evil.test"] } }, "webauthn.origins"],
    [{ webauthn: { origins: ["https://auth.example.com/path"] } }, "webauthn.origins"],
    [{ webauthn: { origins: [] } }, "webauthn.origins"],
    [{ webauthn: { bogus: 1 } }, "webauthn.bogus: unknown key"],
    [{ accounts: { invite_ttl: "0.5s" } }, "accounts.invite_ttl"],
    [{ accounts: { invite_ttl: "100000h" } }, "accounts.invite_ttl"],
  ])("%p is refused naming %s", (extra, key) => {
    expect(errorOf({ ...base(), ...extra })).toContain(key);
  });
});

describe("one-time secrets", () => {
  test("invite tokens: 32 random bytes, base64url", () => {
    const a = newInviteToken();
    expect(a).toMatch(INVITE_TOKEN_RE);
    expect(Buffer.from(a, "base64url")).toHaveLength(32);
    expect(new Set(Array.from({ length: 200 }, newInviteToken)).size).toBe(200);
  });

  test("recovery codes: xxxx-xxxx-xxxx, no ambiguous letters, normalized before hashing", () => {
    for (let i = 0; i < 500; i++) {
      const c = newRecoveryCode();
      expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);
      const n = normalizeRecoveryCode(c)!;
      expect(normalizeRecoveryCode(c.toUpperCase())).toBe(n);
      expect(normalizeRecoveryCode(` ${c.replace(/-/g, " ")} `)).toBe(n);
      expect(recoveryCodeHash(n)).toMatch(/^[0-9a-f]{64}$/);
    }
    for (const bad of ["123456", "", "abcd-efgh-ijkl", "abcd-efgh-jkm", "0000-0000-00000"]) expect(normalizeRecoveryCode(bad)).toBeNull();
  });

  test("log redaction hides invite tokens in paths", () => {
    const t = newInviteToken();
    expect(redactPath(`/invite/${t}`)).toBe("/invite/[redacted]");
    expect(redactPath(`/v1/invites/${t}/accept`)).toBe("/v1/invites/[redacted]/accept");
    expect(redactPath("/v1/accounts")).toBe("/v1/accounts");
    expect(redactPath(`/token/download/${t}`)).toBe("/token/download/[redacted]");
  });
});

describe("policy: invite links never escalate to admin", () => {
  test("a stored rule granting accounts:invite does not reach admin accounts (built-in deny -11)", async () => {
    const { BUILTIN_RULES, evaluate } = await import("../../src/policy");
    const grant = { id: 1, description: "helpers may invite", effect: "allow" as const, priority: 100, enabled: true, match: { roles: ["helper"], actions: ["accounts:invite" as const] } };
    const rules = [...BUILTIN_RULES, grant];
    const helper = { id: "h", account_type: "human" as const, roles: ["helper"], tags: [] };
    const friend = { type: "account" as const, id: "f", owner_id: "f", tags: [], roles: [] };
    expect(evaluate({ subject: helper, action: "accounts:invite", resource: friend }, rules, 0).effect).toBe("allow");
    const d = evaluate({ subject: helper, action: "accounts:invite", resource: { ...friend, roles: ["admin"] } }, rules, 0);
    expect(d.effect).toBe("deny");
    expect(d.rule?.id).toBe(-11);
    const admin = { id: "a", account_type: "human" as const, roles: ["admin"], tags: [] };
    expect(evaluate({ subject: admin, action: "accounts:invite", resource: { ...friend, roles: ["admin"] } }, rules, 0).effect).toBe("allow");
    // without a rule, a plain user may not invite at all
    expect(evaluate({ subject: { ...helper, roles: [] }, action: "accounts:invite", resource: friend }, BUILTIN_RULES, 0).effect).toBe("deny");
  });
});
