/**
 * dist/sso/traefik.yml.example is not run against a real Traefik (none on the test
 * machine; nginx and Caddy are, in test/browser/forward-auth.test.ts): this holds its
 * shape to what MCIAS's forward-auth needs — the endpoint path, the four identity
 * headers copied (Traefik drops a client's own copies of exactly the listed ones), the
 * client's X-Forwarded-* not trusted, and the middleware attached to the app's router.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/server";

const IDENTITY = ["Remote-User", "Remote-Name", "Remote-Email", "Remote-Groups"];

describe("dist/sso/traefik.yml.example", () => {
  const doc = Bun.YAML.parse(readFileSync(join(ROOT, "dist/sso/traefik.yml.example"), "utf8")) as {
    http: {
      middlewares: Record<string, { forwardAuth?: { address: string; trustForwardHeader?: boolean; authResponseHeaders?: string[] } }>;
      routers: Record<string, { rule: string; middlewares?: string[]; service: string; tls?: unknown }>;
      services: Record<string, unknown>;
    };
  };

  test("the forwardAuth middleware asks MCIAS's endpoint and copies exactly the identity headers", () => {
    const fa = doc.http.middlewares.mcias?.forwardAuth;
    expect(fa).toBeDefined();
    expect(new URL(fa!.address).pathname).toBe("/v1/authz/forward-auth");
    expect(new URL(fa!.address).protocol).toBe("https:");
    expect(fa!.trustForwardHeader).toBe(false);
    expect([...(fa!.authResponseHeaders ?? [])].sort()).toEqual([...IDENTITY].sort());
  });

  test("every router uses it, over TLS, and names a declared service", () => {
    const routers = Object.values(doc.http.routers);
    expect(routers.length).toBeGreaterThan(0);
    for (const r of routers) {
      expect(r.middlewares).toContain("mcias");
      expect(r.rule).toMatch(/^Host\(`[a-z0-9.-]+`\)$/);
      expect(r.tls).toBeDefined();
      expect(doc.http.services[r.service]).toBeDefined();
    }
  });

  test("the nginx and Caddy configs copy the same four headers", () => {
    const nginx = readFileSync(join(ROOT, "dist/sso/nginx.conf.example"), "utf8");
    const caddy = readFileSync(join(ROOT, "dist/sso/Caddyfile.example"), "utf8");
    for (const h of IDENTITY) {
      expect(nginx).toContain(`proxy_set_header ${h} `);
      expect(nginx.toLowerCase()).toContain(`$upstream_http_${h.toLowerCase().replace("-", "_")}`);
    }
    expect(caddy).toContain(`copy_headers ${IDENTITY.join(" ")}`);
  });
});
