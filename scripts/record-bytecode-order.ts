/**
 * bun scripts/record-bytecode-order.ts — re-records scripts/mcias.bytecode-order, the
 * profile scripts/build.ts lays the embedded bytecode out by (`--bytecode-order`).
 *
 * Builds the binary without a profile, runs it the way a server runs (serve with gRPC,
 * two serving threads, one [sso] app and an OIDC client; a login, token validation,
 * /v1/auth/me, forward-auth, the console's login page, the OIDC discovery document, the
 * API docs), stops it, and keeps the profile the server process wrote on exit
 * (BUN_BYTECODE_ORDER_OUT; worker threads are recorded into it too). Re-record when
 * `bytecodeOrderStats()` would show many cold functions, e.g. after a large refactor;
 * an older profile keeps working meanwhile.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const tmp = join(ROOT, ".tmp/bytecode-order");
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
const bin = join(tmp, "mcias");
const b = Bun.spawnSync([process.execPath, join(ROOT, "scripts/build.ts"), bin], {
  cwd: ROOT, stdout: "inherit", stderr: "inherit", env: { ...Bun.env, MCIAS_BYTECODE_ORDER: "0" },
});
if (b.exitCode !== 0) process.exit(1);
Bun.env.MCIAS_BIN = bin;
const { startServer, removeDir, ADMIN_PASSWORD } = await import("../test/helpers/server");

const out = join(tmp, "profile-%p.order");
const s = await startServer({
  grpc: true,
  sections: { server: `trusted_proxies = ["127.0.0.1"]\nworkers = 2` },
  extraToml: `[sso]\n[[sso.apps]]\nhost = "app.test"`,
  env: { BUN_BYTECODE_ORDER_OUT: out },
});
try {
  const token = await s.login("admin", ADMIN_PASSWORD);
  const ok = async (p: Promise<{ status: number }>, what: string) => {
    const r = await p;
    if (r.status >= 400) throw new Error(`${what}: ${r.status}`);
  };
  await ok(s.call("POST", "/v1/oidc/clients", { token, json: { name: "profile", redirect_uris: ["https://app.test/cb"] } }), "oidc client");
  for (let i = 0; i < 4; i++) { // both threads, most likely
    await ok(s.call("GET", "/v1/health"), "health");
    await ok(s.call("POST", "/v1/token/validate", { json: { token } }), "validate");
    await ok(s.call("GET", "/v1/auth/me", { token }), "me");
    await ok(s.call("GET", "/v1/authz/forward-auth", { token, headers: { "x-forwarded-host": "app.test", "x-forwarded-uri": "/" } }), "forward-auth");
    await ok(s.fetch("/login"), "login page");
  }
  await ok(s.fetch("/.well-known/openid-configuration"), "discovery");
  await ok(s.fetch("/docs/json"), "docs");
} finally {
  await s.stop();
}
const written = readdirSync(tmp).filter((f) => f === `profile-${s.pid}.order`);
if (written.length !== 1 || !existsSync(join(tmp, written[0]!))) throw new Error(`no profile from the server process ${s.pid}: ${readdirSync(tmp).join(", ")}`);
copyFileSync(join(tmp, written[0]!), join(ROOT, "scripts/mcias.bytecode-order"));
chmodSync(join(ROOT, "scripts/mcias.bytecode-order"), 0o644);
removeDir(s.dir);
rmSync(tmp, { recursive: true, force: true });
console.log("wrote scripts/mcias.bytecode-order");
