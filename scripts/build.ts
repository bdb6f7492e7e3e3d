/**
 * npm run build → bin/mcias: one self-contained executable with migrations, htmx,
 * CSS and API-docs assets embedded. Version and commit are baked in.
 */
import { $ } from "bun";
import { existsSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };

const commit = (await $`git rev-parse --short=12 HEAD`.nothrow().quiet().text()).trim() || "unknown";
const dirty = (await $`git status --porcelain --untracked-files=no`.nothrow().quiet().text()).trim() ? "-dirty" : "";
const outfile = process.argv[2] ?? "bin/mcias";
const target = process.argv[3];
// Profile-guided bytecode layout (`--bytecode-order`): the functions a serving run uses sit
// together at the front of the embedded bytecode, so fewer pages of it are read in (~4–7 MiB
// less file-backed RSS). Recorded by scripts/record-bytecode-order.ts; functions are matched
// by a hash of their syntax, so an older profile still applies (changed code goes after it).
// MCIAS_BYTECODE_ORDER=0 builds without it (what the recorder does).
const order = join(import.meta.dir, "mcias.bytecode-order");
const useOrder = Bun.env.MCIAS_BYTECODE_ORDER !== "0" && existsSync(order);

// --bytecode (with ESM output, which it needs for top-level await) precompiles the
// JavaScript: start to first answer ~40 ms instead of ~90 ms. Never minified: that breaks
// oidc-provider (class names); the saving would be ~1.5 MB of ~115.
// --compile-jit-policy: the start-up code stays in the interpreter (JIT thresholds ×100
// until serve calls startupDone(), src/env.ts): ~5 MiB less idle RSS (docs/ARCHITECTURE.md, "Memory").
const args = [
  "build", "--compile", "--bytecode", "--format=esm", "--sourcemap=none",
  "--compile-jit-policy=100",
  ...(useOrder ? [`--bytecode-order=${order}`] : []),
  `--define=MCIAS_VERSION=${JSON.stringify(pkg.version)}`,
  `--define=MCIAS_COMMIT=${JSON.stringify(commit + dirty)}`,
  ...(target ? [`--target=${target}`] : []),
  // The worker thread entry (`[server] workers`): embedded as /$bunfs/root/workers/worker.ts,
  // relative to src/ (see workerUrl() in src/workers/pool.ts).
  "src/main.ts", "src/workers/worker.ts", "--outfile", outfile,
];
const proc = Bun.spawnSync([process.execPath, ...args], { stdout: "inherit", stderr: "inherit" });
if (proc.exitCode !== 0) process.exit(proc.exitCode ?? 1);
console.log(`built ${outfile} (mcias ${pkg.version}, commit ${commit}${dirty})`);
