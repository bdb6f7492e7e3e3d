/**
 * Command-line conventions of SPEC §17 (issue 13): global flags anywhere, a group
 * without a subcommand prints help and exits 2, help readable at 80 columns, accounts
 * named by id or username, `auth login` saving server and CA, errors that say what to
 * do, `--since` durations, `audit tail` oldest first, a bad `--type` listing the valid
 * ones, db headers. The compiled binary against a real server.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runMcias, useServer, type TestServer } from "../helpers/server";
import { leavesOf } from "../ops/cliTree";

let s: TestServer;
useServer((x) => (s = x));
const home = () => mkdtempSync(join(tmpdir(), "mcias-cli-home-"));
const CLEAN = { MCIAS_TOKEN: "", MCIAS_SERVER: "", MCIAS_CACERT: "", MCIAS_CONFIG: "" };

/** `mcias ctl` with the given args verbatim (the test places the flags). */
function ctl(args: string[], o: { stdin?: string; home?: string; env?: Record<string, string> } = {}) {
  return runMcias(["ctl", ...args], { stdin: o.stdin, env: { ...CLEAN, XDG_CONFIG_HOME: o.home ?? home(), ...o.env } });
}
const conn = () => ["--server", s.url, "--cacert", join(s.dir, "server.crt")];

describe("global flags anywhere; groups without a subcommand", () => {
  test("ctl: --server/--cacert/--token/--json before the group, between group and subcommand, after", async () => {
    const tok = await s.adminToken();
    for (const args of [
      [...conn(), "--token", tok, "account", "list"],
      ["account", ...conn(), "--token", tok, "list"],
      ["account", "list", ...conn(), "--token", tok],
      ["--json", ...conn(), "--token", tok, "account", "list"],
      [`--server=${s.url}`, "--cacert", join(s.dir, "server.crt"), "account", "--token", tok, "list"],
    ]) {
      const r = await ctl(args);
      expect({ args, code: r.code, err: r.stderr }).toEqual({ args, code: 0, err: "" });
      expect(r.stdout).toContain("admin");
    }
    const j = await ctl(["--json", ...conn(), "--token", tok, "account", "list"]);
    expect(JSON.parse(j.stdout).map((a: { username: string }) => a.username)).toContain("admin");
  }, 60_000);

  test("db: --config before the group or the subcommand", async () => {
    for (const args of [["db", "--config", s.configPath, "schema", "verify"], ["db", "schema", "--config", s.configPath, "verify"], ["db", "schema", "verify", "--config", s.configPath]]) {
      const r = await runMcias(args);
      expect({ args, code: r.code, err: r.stderr }).toEqual({ args, code: 0, err: "" });
    }
    const list = await runMcias(["db", "--config", s.configPath, "account", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("admin");
  }, 60_000);

  test("a group without a subcommand prints its help to stderr and exits 2; an unknown leading flag too", async () => {
    for (const args of [["ctl"], ["ctl", "account"], ["ctl", "--server", "https://x.example", "account"], ["db"], ["db", "--config", "x.toml", "schema"], ["ctl", "--bogus", "account", "list"]]) {
      const r = await runMcias(args, { env: CLEAN });
      expect({ args, code: r.code, out: r.stdout }).toEqual({ args, code: 2, out: "" });
      expect(r.stderr).toContain("USAGE");
    }
  }, 60_000);
});

describe("--help at 80 columns", () => {
  test("every level's help: no line over 80 columns, no trailing blanks (citty padded every description to the widest)", async () => {
    const leaves = [...(await leavesOf("ctl")), ...(await leavesOf("db")), ...(await leavesOf("serve"))];
    const paths = new Set<string>([""]);
    for (const l of leaves) for (let i = 1; i <= l.path.length; i++) paths.add(l.path.slice(0, i).join(" "));
    expect(paths.size).toBeGreaterThan(60);
    const bad: string[] = [];
    for (const p of paths) {
      const r = await runMcias([...(p ? p.split(" ") : []), "--help"]);
      expect(r.code).toBe(0);
      for (const line of r.stdout.split("\n")) {
        if (line.length > 80) bad.push(`${p}: too long (${line.length}): ${line}`);
        if (/\s$/.test(line)) bad.push(`${p}: trailing blanks: ${JSON.stringify(line)}`);
      }
    }
    expect(bad).toEqual([]);
  }, 180_000);
});
