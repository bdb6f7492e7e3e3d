/**
 * The RUNBOOK's Break-glass section is written as commands that really work: every
 * `mcias …` it names is a real command with real flags, and the `sed` edits it gives
 * for switching the master-key source after a rekey turn the shipped example config
 * into a valid config with the intended source. (The scenarios themselves run in
 * db-live, db-backup and db-rekey.)
 */
import { describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigFile } from "../../src/config/load";
import { rootCommand } from "../../src/cli";
import { removeDir, ROOT } from "../helpers/server";

const runbook = readFileSync(join(ROOT, "docs/RUNBOOK.md"), "utf8");
const start = runbook.indexOf("## Break-glass (`mcias db`)");
const rest = runbook.slice(start + 5);
const next = rest.search(/^## /m);
const section = next < 0 ? rest : rest.slice(0, next);
const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);

interface Leaf { path: string[]; flags: string[] }

/** Every leaf command with its flags, read from the command definitions themselves (no processes). */
async function leaves(cmd: any = rootCommand, path: string[] = []): Promise<Leaf[]> {
  const resolve = async (v: any) => (typeof v === "function" ? await v() : await v);
  const subs = cmd.subCommands ? await resolve(cmd.subCommands) : undefined;
  if (!subs) {
    const args = cmd.args ? await resolve(cmd.args) : {};
    return [{ path, flags: Object.keys(args).map((k) => k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())) }];
  }
  const out: Leaf[] = [];
  for (const [name, sub] of Object.entries(subs)) out.push(...(await leaves(await resolve(sub), [...path, name])));
  return out;
}

function mciasCommands(): string[][] {
  const lines: string[] = [];
  for (const b of blocks) lines.push(...b.replace(/\\\n/g, " ").split("\n"));
  for (const m of section.matchAll(/`([^`\n]+)`/g)) lines.push(m[1]!);
  const out: string[][] = [];
  for (let line of lines) {
    line = line.replace(/#.*$/, "").replace(/\bsudo -u mcias /g, "sudo ");
    for (const m of line.matchAll(/(?:^|[\s;&|(])mcias((?: +[^\s;&|)]+)*)/g)) {
      const words = m[1]!.trim().split(/\s+/).filter(Boolean);
      if (words.length && /^[a-z]/.test(words[0]!)) out.push(words);
    }
  }
  return out;
}

describe("RUNBOOK Break-glass", () => {
  test("the section exists and covers recovery, containment, backup/restore and rekey", () => {
    expect(start).toBeGreaterThan(0);
    for (const h of ["### When to use", "### Recovery", "### Containment", "### Backup and restore", "### Rekey"]) expect(section).toContain(h);
  });

  test("every `mcias …` command in it is a real command with real flags", async () => {
    const all = (await leaves()).filter((l) => l.path[0] === "db" || l.path[0] === "ctl");
    const cmds = mciasCommands();
    expect(cmds.filter((c) => c[0] === "db").length).toBeGreaterThan(20);
    const bad: string[] = [];
    for (const words of cmds) {
      const leaf = all.find((l) => l.path.every((p, i) => words[i] === p));
      if (!leaf) {
        if (!all.some((l) => words.every((w, i) => l.path[i] === w))) bad.push(`mcias ${words.join(" ")}`);
        continue;
      }
      for (const w of words.slice(leaf.path.length)) {
        const f = /^--([a-z][a-z0-9-]*)/.exec(w);
        if (f && !leaf.flags.includes(f[1]!)) bad.push(`mcias ${leaf.path.join(" ")} --${f[1]}`);
      }
    }
    expect(bad).toEqual([]);
  });

  test("the config edits after a rekey produce a valid config with the intended key source", async () => {
    const seds = blocks.flatMap((b) => b.split("\n")).filter((l) => l.startsWith("sudo sed -i ") && l.includes("/srv/mcias/mcias.toml"));
    expect(seds.length).toBe(2);
    const toKeyfile = seds.find((l) => l.includes('keyfile = "/srv/mcias/master-2.key"'))!;
    const toPass = seds.find((l) => l.includes('passphrase_env = "MCIAS_MASTER_PASSPHRASE"|'))!;
    const dir = mkdtempSync(join(tmpdir(), "mcias-runbook-"));
    try {
      const cfg = join(dir, "mcias.toml");
      copyFileSync(join(ROOT, "dist/mcias.conf.example"), cfg);
      const run = async (line: string) => {
        const expr = /sed -i '([^']+)'/.exec(line)![1]!;
        const p = Bun.spawn(["sed", "-i", expr, cfg]);
        expect(await p.exited).toBe(0);
      };
      const load = () => loadConfigFile(cfg, { checkFiles: false }).masterKey;
      expect(load().passphraseEnv).toBe("MCIAS_MASTER_PASSPHRASE"); // the shipped default
      await run(toKeyfile);
      expect(load()).toEqual({ passphraseEnv: undefined, keyfile: "/srv/mcias/master-2.key" });
      await run(toPass);
      expect(load()).toEqual({ passphraseEnv: "MCIAS_MASTER_PASSPHRASE", keyfile: undefined });
      await run(toKeyfile); // keyfile → keyfile again from here: still exactly one source
      expect(load()).toEqual({ passphraseEnv: undefined, keyfile: "/srv/mcias/master-2.key" });
    } finally {
      removeDir(dir);
    }
  });
});
