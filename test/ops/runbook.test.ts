/**
 * docs/RUNBOOK.md, Operations section: the first-run setup followed literally (in a
 * temp root instead of /, on a random port) gives a running server the admin can log
 * in to; and every `mcias …` command the section shows exists with the flags it uses.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, mciasCommand } from "../helpers/server";
import { leavesOf, type Leaf } from "./cliTree";

const runbook = readFileSync(join(ROOT, "docs/RUNBOOK.md"), "utf8");
const ops = (() => {
  const start = runbook.indexOf("\n## Operations");
  const end = runbook.indexOf("\n## ", start + 5);
  return runbook.slice(start, end < 0 ? undefined : end);
})();

/** The fenced sh block right after `<!-- first-run:NAME -->`. */
function block(name: string): string {
  const m = new RegExp(`<!-- first-run:${name} -->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(ops);
  if (!m) throw new Error(`RUNBOOK Operations has no first-run:${name} block`);
  return m[1]!;
}

const tmp = mkdtempSync(join(tmpdir(), "mcias-runbook-"));
let server: ReturnType<typeof Bun.spawn> | null = null;
afterAll(async () => {
  if (server && server.exitCode === null) { server.kill("SIGKILL"); await server.exited; }
  rmSync(tmp, { recursive: true, force: true });
});

/** A PATH directory whose `mcias` is the binary under test. */
function pathDir(): string {
  const d = join(tmp, "path");
  mkdirSync(d);
  const cmd = mciasCommand();
  if (cmd.length === 1) symlinkSync(cmd[0]!, join(d, "mcias"));
  else writeFileSync(join(d, "mcias"), `#!/bin/sh\nexec ${cmd.map((c) => `'${c}'`).join(" ")} "$@"\n`, { mode: 0o755 });
  return d;
}

async function sh(script: string, env: Record<string, string>, stdin = "") {
  const p = Bun.spawn(["sh", "-eu", "-c", script], { stdin: new Blob([stdin]), stdout: "pipe", stderr: "pipe", env: { ...Bun.env, ...env } });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

describe("RUNBOOK first-run setup, followed literally", () => {
  test("install, configure, bootstrap, serve, log in as admin", async () => {
    const root = join(tmp, "root");
    const bin = pathDir();
    const env = { PATH: `${bin}:${Bun.env.PATH}`, NO_COLOR: "1", XDG_CONFIG_HOME: join(tmp, "xdg"), HOME: tmp };
    const srv = (text: string) => text.replaceAll("/srv/mcias", `${root}/srv/mcias`);

    // dist/install.sh into the temp root (no user creation, no chown).
    const inst = await sh(`sh '${join(ROOT, "dist/install.sh")}'`, { ...env, DESTDIR: root, MCIAS_NO_USER: "1", MCIAS_BIN: join(bin, "mcias") });
    expect(inst.stderr).toBe("");
    expect(inst.code).toBe(0);
    // The installed config names /srv/mcias/…: point it into the temp root (the one
    // change a chroot would make unnecessary).
    const conf = `${root}/srv/mcias/mcias.toml`;
    writeFileSync(conf, srv(readFileSync(conf, "utf8")));

    const asRoot = await sh(srv(block("root")), env);
    expect(asRoot.stderr).toBe("");
    expect(asRoot.code).toBe(0);

    const password = "first-admin-password-42";
    const asMcias = await sh(srv(block("mcias")), env, `${password}\n${password}\n`);
    expect(asMcias.code, asMcias.stderr).toBe(0);
    expect(asMcias.stdout).toContain("config ok");
    const modes = (f: string) => (Bun.spawnSync(["stat", "-c", "%a", `${root}/srv/mcias/${f}`]).stdout.toString().trim());
    expect(modes("server.key")).toBe("600");
    expect(modes("master.key")).toBe("600");

    // The foreground start, with only the listen address moved to a random local port.
    const serveCmd = srv(block("serve")).trim().split(/\s+/);
    expect(serveCmd.slice(0, 2)).toEqual(["mcias", "serve"]);
    server = Bun.spawn(["timeout", "-k", "30", "300", join(bin, "mcias"), ...serveCmd.slice(1), "--listen", "127.0.0.1:0"], {
      stdout: "pipe", stderr: "pipe", env: { ...Bun.env, ...env },
    });
    let out = "";
    const port = await new Promise<number>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`server did not start: ${out}`)), 20_000);
      const pump = async (stream: ReadableStream<Uint8Array>) => {
        const dec = new TextDecoder();
        for await (const chunk of stream) {
          out += dec.decode(chunk);
          const m = /"msg":"listening".*?"url":"https:\/\/[^:]+:(\d+)"/.exec(out);
          if (m) { clearTimeout(timer); res(Number(m[1])); }
        }
      };
      void pump(server!.stdout as ReadableStream<Uint8Array>);
      void pump(server!.stderr as ReadableStream<Uint8Array>);
      void server!.exited.then((c) => rej(new Error(`server exited ${c}: ${out}`)));
    });
    expect(out).toContain('"sealed":false');

    const login = await sh(srv(block("login")).replaceAll("https://localhost:8443", `https://localhost:${port}`), env, `${password}\n`);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain("admin");

    // The same through the API directly: the admin's token carries the admin role.
    const ca = readFileSync(`${root}/srv/mcias/server.crt`, "utf8");
    const r = await fetch(`https://localhost:${port}/v1/auth/login`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password }), tls: { ca },
    } as RequestInit);
    expect(r.status).toBe(200);
    const { token } = (await r.json()) as { token: string };
    const me = await fetch(`https://localhost:${port}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` }, tls: { ca } } as RequestInit);
    expect(((await me.json()) as { roles: string[] }).roles).toContain("admin");

    server.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  }, 120_000);
});

/** `mcias …` invocations in the section's code blocks and inline code. */
function commandsInOps(): string[][] {
  const lines: string[] = [];
  for (const m of ops.matchAll(/```sh\n([\s\S]*?)```/g)) lines.push(...m[1]!.replace(/\\\n/g, " ").split("\n"));
  for (const m of ops.matchAll(/`([^`\n]+)`/g)) lines.push(m[1]!);
  const cmds: string[][] = [];
  for (let line of lines) {
    line = line.replace(/#.*$/, "").replace(/\bsudo -u mcias /g, "sudo ");
    for (const m of line.matchAll(/(?:^|[\s;&|(])mcias((?: +[^\s;&|)]+)*)/g)) {
      const words = m[1]!.trim().split(/\s+/).filter(Boolean);
      if (words.length && /^[a-z]/.test(words[0]!)) cmds.push(words);
    }
  }
  return cmds;
}

describe("RUNBOOK commands exist", () => {
  test("every `mcias …` command in Operations is a real command with real flags", async () => {
    const leaves: Leaf[] = [...(await leavesOf("ctl")), ...(await leavesOf("db")), ...(await leavesOf("serve")), { path: ["version"], flags: [] }];
    const cmds = commandsInOps();
    expect(cmds.length).toBeGreaterThan(10);
    const bad: string[] = [];
    for (const words of cmds) {
      const leaf = leaves.find((l) => l.path.every((p, i) => words[i] === p));
      if (!leaf) {
        // A group named on its own (`mcias db`) is fine.
        if (!leaves.some((l) => words.every((w, i) => l.path[i] === w))) bad.push(`mcias ${words.join(" ")}`);
        continue;
      }
      for (const w of words.slice(leaf.path.length)) {
        const f = /^--([a-z][a-z0-9-]*)/.exec(w);
        if (f && !leaf.flags.includes(f[1]!)) bad.push(`mcias ${leaf.path.join(" ")} --${f[1]}`);
      }
    }
    expect(bad).toEqual([]);
  }, 90_000);
});


describe("RUNBOOK troubleshooting", () => {
  test("every quoted error message is one the code really produces", () => {
    const table = ops.slice(ops.indexOf("### Troubleshooting"));
    const glob = new Bun.Glob("src/**/*.ts");
    const source = [...glob.scanSync({ cwd: ROOT })].map((f) => readFileSync(join(ROOT, f), "utf8")).join("\n");
    const rows = [...table.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]!);
    expect(rows.length).toBeGreaterThan(8);
    const missing: string[] = [];
    for (const msg of rows) {
      // Placeholders (…, <key>, N, HOST:PORT, mode 644) separate literal fragments.
      for (const frag of msg.split(/…|<[^>]+>|\bN\b|HOST:PORT|\(mode \d+\)|\.\.\./)) {
        const f = frag.trim().replace(/^mcias: /, "");
        // A leading config key may be filled in at run time (`${key}: …`).
        const rest = f.replace(/^[a-z_]+\.[a-z_]+: /, "");
        if (f.length >= 8 && !source.includes(f) && !(rest !== f && source.includes(rest))) missing.push(f);
      }
    }
    expect(missing).toEqual([]);
  });
});
