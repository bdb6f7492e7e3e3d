/**
 * Memory (issue 23): what keeps a serving process small, checked on the compiled binary.
 *
 * - The modules only some deployments use are not in the static import graph of the
 *   entry points (they load on first use): a static import anywhere would put them
 *   back into every start. Exact; read from the bundler's metafile.
 * - A start with a keyfile runs no Argon2id (the decoy hash is built, not hashed): with
 *   [argon2] memory = 256 MiB the peak RSS (VmHWM) stays far below 256 MiB. Exact in
 *   effect: one hash at start would put the peak above it.
 * - Idle RSS after a start is under a coarse bound (80 MiB total, 24 MiB anonymous;
 *   measured here: ~62 MiB = ~15 anonymous + ~47 file-backed pages of the executable).
 *   Generous on purpose, for a loaded CI machine: it catches a face or library loaded
 *   eagerly by mistake (+5–15 MiB each), not a 2 MiB drift — `npm run bench` reports the
 *   figures (docs/ARCHITECTURE.md, "Memory").
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, ROOT, startServer } from "../helpers/server";

/** Fields of /proc/PID/status in MiB. */
function status(pid: number) {
  const t = readFileSync(`/proc/${pid}/status`, "utf8");
  const mib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(t)?.[1] ?? NaN) / 1024;
  return { rss: mib("VmRSS"), hwm: mib("VmHWM"), anon: mib("RssAnon"), file: mib("RssFile") };
}

/** Polls until `ok` holds (the post-start collection runs ~250 ms after listening) or the deadline passes. */
async function settle<T>(read: () => T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let v = read();
  while (!ok(v) && Date.now() < end) {
    await Bun.sleep(100);
    v = read();
  }
  return v;
}

describe("memory", () => {
  test("libraries only some deployments use are not statically imported by the entry points", async () => {
    const r = await Bun.build({ entrypoints: [join(ROOT, "src/main.ts"), join(ROOT, "src/workers/worker.ts")], target: "bun", format: "esm", metafile: true, throw: false });
    expect(r.success).toBe(true);
    const inputs = (r.metafile as { inputs: Record<string, { imports: { path: string; kind: string }[] }> }).inputs;
    const reached = new Set<string>();
    const stack = ["src/main.ts", "src/workers/worker.ts"];
    while (stack.length) {
      const f = stack.pop()!;
      if (reached.has(f) || !inputs[f]) continue;
      reached.add(f);
      for (const i of inputs[f]!.imports) if (i.kind !== "dynamic-import") stack.push(i.path);
    }
    expect(reached.has("src/app.ts")).toBe(true); // the walk itself works
    const lazy = [
      "node_modules/oidc-provider/", "node_modules/fetch-to-node/", "node_modules/@grpc/", "node_modules/protobufjs/",
      "node_modules/@simplewebauthn/", "node_modules/@elysiajs/openapi/", "node_modules/qrcode/", "node_modules/@peculiar/x509/",
      "src/cli/ctl/", "src/cli/db/", "src/grpc/server.ts", "src/oidc/bridge.ts",
    ];
    const eager = [...reached].filter((f) => lazy.some((p) => f.startsWith(p)));
    expect(eager).toEqual([]);
  }, 60_000);

  test("a keyfile start runs no Argon2id: the peak stays far below [argon2] memory = 256 MiB", async () => {
    const s = await startServer({ noAdmin: true, sections: { argon2: "time = 2\nmemory = 262144" } });
    try {
      expect((await s.call("GET", "/v1/health")).status).toBe(200);
      const m = await settle(() => status(s.pid), (v) => v.rss <= 80 && v.anon <= 24);
      console.log(`start peak ${m.hwm.toFixed(1)} MiB; idle ${m.rss.toFixed(1)} MiB = anonymous ${m.anon.toFixed(1)} + file-backed ${m.file.toFixed(1)}`);
      expect(m.hwm).toBeLessThan(200);
      expect(m.rss).toBeLessThanOrEqual(80);
      expect(m.anon).toBeLessThanOrEqual(24);
      // Logins still pay the configured cost: an unknown user runs one 256 MiB verify too.
      const before = status(s.pid).hwm;
      expect((await s.call("POST", "/v1/auth/login", { json: { username: "nobody-here", password: "a wrong long password" } })).status).toBe(401);
      expect(status(s.pid).hwm - before).toBeGreaterThan(200);
    } finally {
      await s.stop();
      removeDir(s.dir);
    }
  }, 60_000);
});
