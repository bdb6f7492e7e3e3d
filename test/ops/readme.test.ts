/**
 * Issue 13 defect 6: the README's first steps work as written, and the user-facing
 * docs stay inside the repository.
 *
 * - The README's "Try it" blocks (`<!-- readme:try -->`, `<!-- readme:curl -->`) run
 *   against a development instance (`mcias serve` with no config, in a temp folder).
 *   Only two things differ from a user's terminal: `npm run build` is skipped (the
 *   binary under test is already built, linked as `bin/mcias`), and the port 8443 is
 *   replaced by the instance's random port.
 * - README, docs/*.md (not docs/notes) and the man pages link nothing outside the
 *   repository, no internal work notes, and every relative link resolves.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { mciasCommand, ROOT } from "../helpers/server";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");

/** The fenced sh block right after `<!-- readme:NAME -->`. */
function block(name: string): string {
  const m = new RegExp(`<!-- readme:${name} -->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!m) throw new Error(`README has no readme:${name} block`);
  return m[1]!;
}

const tmp = mkdtempSync(join(tmpdir(), "mcias-readme-"));
let server: ReturnType<typeof Bun.spawn> | null = null;
afterAll(async () => {
  if (server && server.exitCode === null) { server.kill("SIGKILL"); await server.exited; }
  rmSync(tmp, { recursive: true, force: true });
});

async function sh(script: string, cwd: string, env: Record<string, string>, stdin = "") {
  const p = Bun.spawn(["sh", "-eu", "-c", script], { cwd, stdin: new Blob([stdin]), stdout: "pipe", stderr: "pipe", env });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/** Consecutive JSON objects as curl prints them (no newline between them). */
function jsonValues(text: string): any[] {
  const out: any[] = [];
  let depth = 0, start = -1, inStr = false, esc = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inStr) { if (esc) esc = false; else if (c === "\\") esc = true; else if (c === '"') inStr = false; continue; }
    if (c === '"') inStr = true;
    else if (c === "{") { if (depth++ === 0) start = i; }
    else if (c === "}" && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}

describe("README quick start, as written", () => {
  test("dev instance: ctl login saves server+CA, whoami, create alice, list, tail; curl with the saved token", async () => {
    const work = join(tmp, "work");
    const home = join(tmp, "home");
    mkdirSync(join(work, "bin"), { recursive: true });
    mkdirSync(home);
    const cmd = mciasCommand();
    if (cmd.length === 1) symlinkSync(cmd[0]!, join(work, "bin", "mcias"));
    else writeFileSync(join(work, "bin", "mcias"), `#!/bin/sh\nexec ${cmd.map((c) => `'${c}'`).join(" ")} "$@"\n`, { mode: 0o755 });
    const env: Record<string, string> = { PATH: Bun.env.PATH ?? "/usr/bin:/bin", HOME: home, NO_COLOR: "1" };

    // `npm start` = `mcias serve` without a config: the development instance in ./mcias-data.
    server = Bun.spawn(["timeout", "-k", "30", "300", join(work, "bin", "mcias"), "serve", "--listen", "127.0.0.1:0"], {
      cwd: work, stdout: "pipe", stderr: "pipe", env,
    });
    let out = "";
    const port = await new Promise<number>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`server did not start: ${out}`)), 30_000);
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
    const adminPassword = /password:\s*\n\s*\n\s*(\S+)/.exec(out)?.[1];
    expect(adminPassword).toBeDefined();
    const at = (text: string) => text.replaceAll("127.0.0.1:8443", `127.0.0.1:${port}`);

    // Each line on its own (each prompt reads its own stdin), in the same folder and HOME.
    const lines = block("try").split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l && !l.startsWith("npm "));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const outputs: string[] = [];
    for (const line of lines) {
      const stdin = line.includes("auth login") ? `${adminPassword}\n` : line.includes("account create") ? "alice-first-password-1\n" : "";
      const r = await sh(at(line), work, env, stdin);
      expect({ line, code: r.code, stderr: r.stderr }).toEqual({ line, code: 0, stderr: "" });
      outputs.push(r.stdout);
    }
    const all = outputs.join("\n");
    expect(all).toMatch(/^username:\s+admin$/m);
    expect(all).toContain("alice");
    expect(existsSync(join(home, ".config", "mcias", "token"))).toBe(true);
    expect(existsSync(join(home, ".config", "mcias", "server.json"))).toBe(true);

    const curl = await sh(at(block("curl")), work, env);
    expect({ code: curl.code, stderr: curl.stderr }).toEqual({ code: 0, stderr: "" });
    const [me, valid, audit] = jsonValues(curl.stdout);
    expect(me.username).toBe("admin");
    expect(valid.valid).toBe(true);
    expect(audit.events.map((e: { type: string }) => e.type)).toContain("account_created");

    server.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  }, 120_000);
});

describe("user-facing docs stay in the repository", () => {
  const files = [
    "README.md",
    ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`),
    ...readdirSync(join(ROOT, "man/man1")).map((f) => `man/man1/${f}`),
  ];

  test("no link outside the repository, to ../shared or to internal work notes", () => {
    const bad: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(ROOT, f), "utf8");
      if (text.includes("../shared")) bad.push(`${f}: ../shared`);
      if (/\]\((?:\.\/)?(?:docs\/)?notes\//.test(text)) bad.push(`${f}: links docs/notes`);
      if (/owned by .*\(issue \d+\)|work streams?;/.test(text)) bad.push(`${f}: work-stream remark`);
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        const path = resolve(dirname(join(ROOT, f)), target);
        if (!path.startsWith(ROOT + "/")) bad.push(`${f}: ${target} leaves the repository`);
        else if (!existsSync(path)) bad.push(`${f}: ${target} does not exist`);
      }
    }
    expect(bad).toEqual([]);
  });

  test("the README's API reference is in the repository: docs/API.md lists every route of /docs/json's core", () => {
    const api = readFileSync(join(ROOT, "docs/API.md"), "utf8");
    expect(readme).toContain("(docs/API.md)");
    for (const route of ["POST /v1/auth/login", "GET /v1/audit", "POST /v1/policy/evaluate", "PUT /v1/accounts/{id}/pgcreds", "POST /v1/vault/unseal"]) {
      expect(api).toContain(route);
    }
    for (const code of ["bad_request", "unauthorized", "forbidden", "not_found", "conflict", "payload_too_large", "rate_limited", "vault_sealed", "internal"]) {
      expect(api).toContain(`\`${code}\``);
    }
  });
});
