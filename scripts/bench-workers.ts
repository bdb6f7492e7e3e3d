/**
 * A/B of `[server] workers` (issue 23): the same compiled binary with workers = 1 and
 * workers = 2, side by side, wrk rounds interleaved (A, B, A, B…) so machine noise hits
 * both alike. Prints req/s per endpoint and the B/A ratio. Both servers log every
 * request into this process (the test fixture's pipe): the same extra cost on both sides.
 * Env: BENCH_SECONDS (default 4), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (32),
 * BENCH_CASES (comma-separated names: validate,me,forward-auth,health; default all).
 */
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const SECONDS = Number(Bun.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(Bun.env.BENCH_ROUNDS ?? 3);
const CONNS = Number(Bun.env.BENCH_CONNECTIONS ?? 32);
if (!Bun.env.MCIAS_BIN) {
  const out = join(ROOT, ".tmp/bench/mcias");
  const b = Bun.spawnSync([process.execPath, join(ROOT, "scripts/build.ts"), out], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (b.exitCode !== 0) process.exit(1);
  Bun.env.MCIAS_BIN = out;
}
const { startServer, removeDir, ADMIN_PASSWORD } = await import("../test/helpers/server");

const start = (workers: number) => startServer({
  sections: {
    server: `trusted_proxies = ["127.0.0.1"]\nworkers = ${workers}`,
    rate_limit: "login_rate = 1000000\nlogin_burst = 1000000\nvalidate_rate = 1000000\nvalidate_burst = 1000000",
  },
  extraToml: `[sso]\n[[sso.apps]]\nhost = "bench.app.test"`,
});

async function wrk(url: string, env: Record<string, string>): Promise<number> {
  const p = Bun.spawn(["wrk", "-t1", `-c${CONNS}`, `-d${SECONDS}s`, "-s", join(ROOT, "bench/request.lua"), url], { stdout: "pipe", stderr: "pipe", env: { ...Bun.env, ...env } });
  const out = await new Response(p.stdout).text();
  await p.exited;
  if (/Non-2xx/.test(out)) throw new Error(`non-2xx answers on ${url}:\n${out}`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
}

const a = await start(1);
const b = await start(2);
try {
  const ta = await a.login("admin", ADMIN_PASSWORD);
  const tb = await b.login("admin", ADMIN_PASSWORD);
  const cases = [
    { name: "validate", path: "/v1/token/validate", env: (t: string) => ({ WRK_METHOD: "POST", WRK_BODY: JSON.stringify({ token: t }), WRK_TOKEN: "" }) },
    { name: "me", path: "/v1/auth/me", env: (t: string) => ({ WRK_METHOD: "GET", WRK_BODY: "", WRK_TOKEN: t }) },
    { name: "forward-auth", path: "/v1/authz/forward-auth", env: (t: string) => ({ WRK_METHOD: "GET", WRK_BODY: "", WRK_TOKEN: t, WRK_FWD_HOST: "bench.app.test" }) },
    { name: "health", path: "/v1/health", env: (_t: string) => ({ WRK_METHOD: "GET", WRK_BODY: "", WRK_TOKEN: "" }) },
  ];
  const only = Bun.env.BENCH_CASES?.split(",");
  for (const c of cases.filter((x) => !only || only.includes(x.name))) {
    await wrk(a.url + c.path, c.env(ta)); // warm-up
    await wrk(b.url + c.path, c.env(tb));
    const ra: number[] = [], rb: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      ra.push(await wrk(a.url + c.path, c.env(ta)));
      rb.push(await wrk(b.url + c.path, c.env(tb)));
    }
    const med = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)]!;
    console.log(`FIGURE workers ${c.name}: workers=1 ${med(ra).toFixed(0)} req/s, workers=2 ${med(rb).toFixed(0)} req/s = ${(med(rb) / med(ra)).toFixed(2)}x (medians of ${ROUNDS} interleaved ${SECONDS}s rounds)`);
  }
} finally {
  await a.stop(); await b.stop();
  removeDir(a.dir); removeDir(b.dir);
}
