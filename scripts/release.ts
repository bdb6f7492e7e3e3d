/**
 * npm run release → dist/release/mcias-<version>-<platform> for every release target
 * plus SHA256SUMS (sha256sum -c format). Each binary is built by scripts/build.ts, so
 * it embeds the version and commit that `mcias version` prints. The cross runtimes
 * (arm64, baseline) are fetched by Bun from the npm registry on first use.
 *
 *   bun scripts/release.ts [--dry-run] [--out DIR] [platform…]
 *   platforms: linux-x64, linux-x64-baseline (CPUs without AVX2), linux-arm64
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };

export const PLATFORMS: Record<string, string> = {
  "linux-x64": "bun-linux-x64",
  "linux-x64-baseline": "bun-linux-x64-baseline",
  "linux-arm64": "bun-linux-arm64",
};

export interface Plan { outDir: string; builds: { platform: string; target: string; outfile: string }[]; dryRun: boolean }

/** Parses the arguments; throws a usage message on anything unknown. */
export function plan(argv: string[], root = resolve(import.meta.dir, "..")): Plan {
  let outDir = join(root, "dist/release");
  let dryRun = false;
  const chosen: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--dry-run") dryRun = true;
    else if (a === "--out") {
      const v = argv[++i];
      if (!v) throw new Error("--out needs a directory");
      outDir = resolve(v);
    } else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else if (!(a in PLATFORMS)) throw new Error(`unknown platform ${a} (one of: ${Object.keys(PLATFORMS).join(", ")})`);
    else if (!chosen.includes(a)) chosen.push(a);
  }
  const platforms = chosen.length ? chosen : Object.keys(PLATFORMS);
  return {
    outDir,
    dryRun,
    builds: platforms.map((p) => ({ platform: p, target: PLATFORMS[p]!, outfile: join(outDir, `mcias-${pkg.version}-${p}`) })),
  };
}

function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

if (import.meta.main) {
  let p: Plan;
  try {
    p = plan(process.argv.slice(2));
  } catch (e) {
    console.error(`release: ${(e as Error).message}\nusage: bun scripts/release.ts [--dry-run] [--out DIR] [${Object.keys(PLATFORMS).join("|")}…]`);
    process.exit(2);
  }
  for (const b of p.builds) console.log(`${b.platform}: --target=${b.target} → ${b.outfile}`);
  if (p.dryRun) process.exit(0);
  mkdirSync(p.outDir, { recursive: true });
  const sums: string[] = [];
  for (const b of p.builds) {
    const r = Bun.spawnSync([process.execPath, "run", join(import.meta.dir, "build.ts"), b.outfile, b.target], { stdout: "inherit", stderr: "inherit" });
    if (r.exitCode !== 0) {
      console.error(`release: build for ${b.platform} failed (exit ${r.exitCode}); cross targets need the npm registry to fetch their runtime`);
      process.exit(1);
    }
    sums.push(`${sha256(b.outfile)}  ${basename(b.outfile)}`);
  }
  writeFileSync(join(p.outDir, "SHA256SUMS"), sums.join("\n") + "\n");
  console.log(`wrote ${join(p.outDir, "SHA256SUMS")}`);
}
