/**
 * Man pages: mandoc -Tlint clean at warning level, and in step with the binary —
 * every subcommand and flag that `--help` lists is in the page, and every command the
 * page lists exists.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runMcias } from "../helpers/server";
import { leavesOf, parseHelp } from "./cliTree";

const PAGES = ["mcias.1", "mcias-ctl.1", "mcias-db.1"];
const page = (p: string) => join(ROOT, "man/man1", p);

function mandoc(args: string[]) {
  if (!Bun.which("mandoc")) throw new Error("mandoc is not installed (CI must install it)");
  const p = Bun.spawnSync(["mandoc", ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

/** The page as a reader sees it, on one line with single spaces. */
function rendered(p: string): string {
  const r = mandoc(["-Tascii", page(p)]);
  expect(r.code).toBe(0);
  return r.stdout.replace(/.\x08/g, "").replace(/\s+/g, " ");
}

/** Command paths the page lists as `.It Cm word word …` (words before the first macro). */
function listedCommands(p: string): string[] {
  const src = readFileSync(page(p), "utf8");
  const out: string[] = [];
  for (const m of src.matchAll(/^\.It Cm ((?:[a-z][a-z0-9-]*)(?: [a-z][a-z0-9-]*)*)/gm)) out.push(m[1]!);
  return out;
}

describe("man pages", () => {
  for (const p of PAGES) {
    test(`${p}: mandoc -Tlint -W warning is clean`, () => {
      const r = mandoc(["-Tlint", "-W", "warning", page(p)]);
      expect(r.stdout + r.stderr).toBe("");
      expect(r.code).toBe(0);
    });
  }

  test("mcias.1 covers every top-level command and every serve flag", async () => {
    const text = rendered("mcias.1");
    const top = parseHelp((await runMcias(["--help"])).stdout);
    expect(top.subs.length).toBeGreaterThan(0);
    for (const s of top.subs) expect(text, s).toContain(`mcias ${s}`);
    const serve = await leavesOf("serve");
    for (const f of serve[0]!.flags) expect(text, `serve --${f}`).toContain(`--${f}`);
  }, 30_000);

  for (const [group, p] of [["ctl", "mcias-ctl.1"], ["db", "mcias-db.1"]] as const) {
    test(`${p} lists every \`mcias ${group}\` command and flag from --help`, async () => {
      const text = rendered(p);
      const leaves = await leavesOf(group);
      expect(leaves.length).toBeGreaterThan(1);
      const missing: string[] = [];
      for (const leaf of leaves) {
        const cmd = leaf.path.slice(1).join(" ");
        if (!text.includes(cmd)) missing.push(cmd);
        for (const f of leaf.flags) if (!text.includes(`--${f}`)) missing.push(`${cmd} --${f}`);
      }
      expect(missing).toEqual([]);
    }, 90_000);

    test(`every command ${p} lists exists in the binary`, async () => {
      const leaves = new Set((await leavesOf(group)).map((l) => l.path.slice(1).join(" ")));
      const listed = listedCommands(p);
      expect(listed.length).toBeGreaterThan(1);
      expect(listed.filter((c) => !leaves.has(c))).toEqual([]);
    }, 90_000);
  }
});
