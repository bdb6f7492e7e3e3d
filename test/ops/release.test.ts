/** scripts/release.ts argument handling (the builds themselves are too slow for npm test). */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { plan } from "../../scripts/release";
import { ROOT } from "../helpers/server";

describe("release plan", () => {
  test("default: the three Linux targets into dist/release, named by version", () => {
    const p = plan([], ROOT);
    expect(p.outDir).toBe(join(ROOT, "dist/release"));
    expect(p.builds.map((b) => [b.target, b.outfile])).toEqual([
      ["bun-linux-x64", join(ROOT, `dist/release/mcias-${pkg.version}-linux-x64`)],
      ["bun-linux-x64-baseline", join(ROOT, `dist/release/mcias-${pkg.version}-linux-x64-baseline`)],
      ["bun-linux-arm64", join(ROOT, `dist/release/mcias-${pkg.version}-linux-arm64`)],
    ]);
    expect(p.dryRun).toBe(false);
  });

  test("a chosen platform, --out and --dry-run", () => {
    const p = plan(["--dry-run", "--out", "/tmp/rel", "linux-arm64", "linux-arm64"], ROOT);
    expect(p).toEqual({ outDir: "/tmp/rel", dryRun: true, builds: [{ platform: "linux-arm64", target: "bun-linux-arm64", outfile: `/tmp/rel/mcias-${pkg.version}-linux-arm64` }] });
  });

  test("unknown platform or option, or --out without a value, is a usage error", () => {
    expect(() => plan(["windows-x64"], ROOT)).toThrow(/unknown platform/);
    expect(() => plan(["--fast"], ROOT)).toThrow(/unknown option/);
    expect(() => plan(["--out"], ROOT)).toThrow(/--out/);
  });

  test("the CLI exits 2 on a usage error", () => {
    const r = Bun.spawnSync([process.execPath, join(ROOT, "scripts/release.ts"), "bogus"], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain("usage:");
  });

  test("package.json runs it as npm run release", () => {
    expect((pkg.scripts as Record<string, string>).release).toBe("bun scripts/release.ts");
  });
});
