import { describe, expect, test } from "bun:test";
import { pathOf } from "../../src/http/path";

describe("pathOf (the listener's path, without a URL object)", () => {
  const urls = [
    "https://127.0.0.1:8443/v1/token/validate",
    "https://127.0.0.1:8443/v1/audit?account=alice&since=24h",
    "https://[::1]:8443/v1/accounts/0b6f2c52-1d1e-4b37-9e6b-2f1f7f0f2a11/roles/admin",
    "https://localhost/",
    "https://localhost",
    "https://localhost?x=1",
    "https://localhost/a#frag",
    "https://localhost/a/../v1/health",
    "https://localhost/./v1/health",
    "https://localhost/v1/%2e%2e/health",
    "https://localhost/v1\\health",
    "https://localhost/invite/abc%20def",
    "https://localhost/caf\u00e9",
    "https://localhost/a b",
    "https://localhost//double//slash",
    "https://localhost/oidc/auth?client_id=x&redirect_uri=https%3A%2F%2Fa",
  ];
  for (const u of urls) {
    test(u, () => expect(pathOf(u)).toBe(new URL(u).pathname));
  }
});
