/** OpenID Connect: redirect URI rules and the [oidc] config section. */
import { describe, expect, test } from "bun:test";
import { ConfigError, validateConfig } from "../../src/config/validate";
import { redirectUriProblem } from "../../src/services/oidcProvider";

describe("redirect URIs an admin may register", () => {
  test.each([
    "https://grafana.example.com/login/generic_oauth", "https://git.example.com:8443/user/oauth2/mcias/callback?x=1",
    "http://localhost:3000/cb", "http://127.0.0.1:4180/oauth2/callback",
  ])("accepts %s", (u) => expect(redirectUriProblem(u)).toBeNull());
  test.each([
    ["http://grafana.example.com/cb", "must be https"], ["https://a.example.com/cb#frag", "fragment"],
    ["https://user:pw@a.example.com/cb", "user or password"], ["/relative/cb", "absolute"], ["javascript:alert(1)", "must be https"],
    ["https://a.example.com/" + "x".repeat(2000), "too long"], ["http://localhost.evil.com/cb", "must be https"],
  ])("refuses %s", (u, why) => expect(redirectUriProblem(u)).toContain(why));
});

describe("[oidc] config", () => {
  const base = () => ({
    server: { listen_addr: "0.0.0.0:8443", tls_cert: "c.pem", tls_key: "k.pem" },
    database: { path: "m.db" },
    tokens: { issuer: "https://auth.example.com" },
    master_key: { passphrase_env: "MCIAS_MASTER_PASSPHRASE" },
  } as Record<string, Record<string, unknown>>);
  const err = (oidc: Record<string, unknown>) => {
    try {
      validateConfig({ ...base(), oidc }, "/etc/mcias", "test");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    return "no error";
  };

  test("defaults", () => {
    const c = validateConfig(base(), "/etc/mcias", "test");
    expect(c.oidc).toEqual({ codeTtlMs: 60_000, accessTokenTtlMs: 3_600_000, idTokenTtlMs: 3_600_000, refreshTokenTtlMs: 720 * 3_600_000, sessionTtlMs: 720 * 3_600_000 });
  });
  test("values and errors name the key", () => {
    expect(validateConfig({ ...base(), oidc: { code_ttl: "30s", refresh_token_ttl: "24h" } }, "/etc/mcias", "test").oidc.codeTtlMs).toBe(30_000);
    expect(err({ code_ttl: "20m" })).toContain("oidc.code_ttl: must be between");
    expect(err({ access_token_ttl: "soon" })).toContain("oidc.access_token_ttl: cannot parse duration");
    expect(err({ bogus: 1 })).toContain("oidc.bogus: unknown key");
    expect(err({ session_ttl: 5 })).toContain("oidc.session_ttl: must be a string");
  });
});
