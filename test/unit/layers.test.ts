/**
 * The layer map of docs/ARCHITECTURE.md §1, enforced: every import of every file in
 * src/ (type-only imports included) is checked against the parts it may reach. A new
 * face (src/grpc, src/oidc, src/forwardauth, …) gets the same rule as src/api and
 * src/ui without anyone editing this file.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const SRC = join(import.meta.dir, "../../src");

/** The kernel every layer may use: no I/O of its own beyond logging, no imports from src/. */
const KERNEL = new Set(["errors.ts", "log.ts", "version.ts", "env.ts"]);
/** Protocol adapters ("faces"): each one folder, each under the same rule. */
const FACES = new Set(["api", "ui", "grpc", "oidc", "forwardauth"]);

/** The part a file (path relative to src/, without extension handling) belongs to. */
export function partOf(rel: string): string {
  const [head, ...rest] = rel.split("/");
  if (rest.length === 0) {
    if (KERNEL.has(head!)) return "kernel";
    if (head === "app.ts") return "root";
    if (head === "server.ts") return "server";
    if (head === "main.ts") return "main";
    return head!.replace(/\.ts$/, "");
  }
  return FACES.has(head!) ? `face:${head}` : head!;
}

/**
 * Which parts each part may import (itself and the kernel always). Read top to bottom:
 * cli → composition root/server → faces → services → policy | store | crypto/vault.
 */
const ALLOWED: Record<string, string[]> = {
  main: ["cli"],
  // The CLI sits on top: serve (root + server), ctl (client), db (break-glass: the
  // composition root's core builder, plus the store's schema tools).
  cli: ["root", "server", "config", "client", "services", "store", "vault", "crypto", "metrics", "http", "FACES", "workers"],
  root: ["FACES", "http", "services", "store", "vault", "config", "metrics", "crypto"],
  server: ["root", "http", "config", "metrics", "FACES"],
  // Serving threads (`[server] workers`, issue 23): each worker thread builds the root
  // and a listener like `serve`; the shared-memory limiter/vault implement interfaces
  // of http and services (types) that the root is handed by `serve`.
  workers: ["root", "server", "http", "services", "config", "metrics"],
  // A face sees services (and their types), the shared HTTP helpers, the pure policy
  // vocabulary (action and resource names), config types — never the store, the
  // vault, crypto or another face. The request/response schemas (src/schemas) are the
  // one schema source every face validates with (REST, gRPC, console forms).
  FACE: ["services", "http", "policy", "config", "schemas"],
  // A face's own listener (`src/grpc/server.ts`, beside `src/server.ts`) is wired to the
  // composition root like src/server.ts; a face's `client.ts` is the client side of
  // that protocol (what `mcias ctl` uses) and sees the client library, not services.
  LISTENER: ["root", "services", "http", "policy", "config", "metrics", "schemas"],
  // TypeBox schemas (Elysia's t): built from the services' limits and the policy's
  // vocabulary; they know nothing of any transport.
  schemas: ["services", "policy"],
  FACE_CLIENT: ["client"],
  http: ["config"],
  services: ["policy", "store", "vault", "crypto", "config", "metrics"],
  policy: [],
  store: [],
  crypto: [],
  vault: ["crypto"],
  config: ["crypto"],
  metrics: [],
  client: [],
  types: [],
  kernel: [],
};

/** Single files a part may reach although their folder is closed to it (pure helpers). */
const FILE_EXCEPTIONS: Record<string, string[]> = {
  FACE: ["crypto/constantTime.ts"],
  LISTENER: ["crypto/constantTime.ts"],
};

/** npm/builtin packages only some parts may use. */
const PACKAGE_RULES: { pkg: RegExp; only: string[]; why: string }[] = [
  { pkg: /^bun:sqlite$/, only: ["store", "cli"], why: "SQL lives in src/store (the break-glass CLI may open a file)" },
  { pkg: /^(elysia|@elysiajs\/)/, only: ["root", "FACE", "LISTENER", "schemas"], why: "Elysia is a face concern (and its `t` builds the shared schemas); services know nothing of it" },
];
/** Parts that may import no package with I/O at all. */
const NO_IO = new Set(["policy"]);
const IO_PACKAGES = /^(node:|bun$|bun:|fs$|net$|http|https$|child_process$|undici$|elysia$)/;
/** The client library ships to apps: it may import only its own files and its HTTP package. */
const CLIENT_PACKAGES = /^(undici)$/;

function ruleKey(part: string, rel = ""): string {
  if (!part.startsWith("face:")) return part;
  if (/^[^/]+\/server\.ts$/.test(rel)) return "LISTENER";
  if (/^[^/]+\/client\.ts$/.test(rel)) return "FACE_CLIENT";
  return "FACE";
}

function mayImport(from: string, fromRel: string, to: string, toRel: string): boolean {
  if (from === to) return true;
  if (to === "kernel") return from !== "client";
  const key = ruleKey(from, fromRel);
  const allowed = ALLOWED[key];
  if (!allowed) return false;
  if (allowed.includes(to)) return true;
  if (to.startsWith("face:") && allowed.includes("FACES")) return true;
  return (FILE_EXCEPTIONS[key] ?? []).some((f) => (f.endsWith("/") ? toRel.startsWith(f) : toRel === f));
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : /\.tsx?$/.test(n) ? [p] : [];
  });
}

/** Every module specifier of a file: static, type-only, re-exports, dynamic and bare imports. */
export function importsOf(code: string): string[] {
  const text = code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^;"'`]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /^\s*import\s+["']([^"']+)["']/gm,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]!);
  return out;
}

function resolveRel(fromFile: string, spec: string): string {
  let rel = relative(SRC, normalize(join(dirname(fromFile), spec)));
  if (!/\.(ts|js|css|json)$/.test(rel)) {
    try {
      if (statSync(join(SRC, rel)).isDirectory()) rel = `${rel}/index.ts`;
    } catch { rel = `${rel}.ts`; }
  }
  return rel;
}

export interface Violation { file: string; spec: string; reason: string }

export function checkFile(file: string, code: string): Violation[] {
  const rel = relative(SRC, file);
  const from = partOf(rel);
  const out: Violation[] = [];
  for (const spec of importsOf(code)) {
    if (spec.startsWith(".")) {
      const toRel = resolveRel(file, spec);
      if (toRel.startsWith("..")) { out.push({ file: rel, spec, reason: "imports from outside src/" }); continue; }
      const to = partOf(toRel);
      if (!mayImport(from, rel, to, toRel)) out.push({ file: rel, spec, reason: `${from} may not import ${to} (${toRel})` });
      continue;
    }
    if (from === "client" && !CLIENT_PACKAGES.test(spec)) out.push({ file: rel, spec, reason: "the client library may import only undici" });
    if (NO_IO.has(from)) out.push({ file: rel, spec, reason: `${from} is pure: no packages` });
    for (const r of PACKAGE_RULES) {
      if (r.pkg.test(spec) && !r.only.includes(ruleKey(from, rel))) out.push({ file: rel, spec, reason: `${from} may not import ${spec}: ${r.why}` });
    }
    if (from === "kernel" && IO_PACKAGES.test(spec)) out.push({ file: rel, spec, reason: "the kernel imports no I/O package" });
  }
  return out;
}

describe("layer map (docs/ARCHITECTURE.md §1)", () => {
  const files = walk(SRC);

  test("every import in src/ is one the map allows", () => {
    const violations = files.flatMap((f) => checkFile(f, readFileSync(f, "utf8")));
    expect(violations.map((v) => `${v.file}: "${v.spec}" — ${v.reason}`)).toEqual([]);
  });

  test("the import scanner sees at least every runtime import Bun's own scanner sees", () => {
    const transpiler = new Bun.Transpiler({ loader: "ts" });
    for (const f of files.filter((x) => x.endsWith(".ts") && !x.endsWith(".d.ts"))) {
      const code = readFileSync(f, "utf8");
      const ours = new Set(importsOf(code));
      for (const imp of transpiler.scanImports(code)) {
        expect(`${relative(SRC, f)}: ${ours.has(imp.path) ? "" : imp.path}`).toBe(`${relative(SRC, f)}: `);
      }
    }
  });

  test("every top-level part of src/ is on the map", () => {
    const parts = new Set(files.map((f) => ruleKey(partOf(relative(SRC, f)), relative(SRC, f))));
    expect([...parts].filter((p) => !(p in ALLOWED))).toEqual([]);
  });

  // Cross-cutting concerns are applied in one place per face, declared per route.
  test("rate limits are applied only by each face's one request pipeline, never in a handler", () => {
    const appliers = new Set(["http/limiters.ts", "api/plugins/rateLimit.ts", "ui/http.ts", "grpc/chain.ts"]);
    const offenders = files.map((f) => relative(SRC, f)).filter((r) => !appliers.has(r) && /\blimiters\.check\(/.test(readFileSync(join(SRC, r), "utf8")));
    expect(offenders).toEqual([]);
  });

  test("no face reaches below services through the services object", () => {
    const faces = files.filter((f) => partOf(relative(SRC, f)).startsWith("face:") || ["server", "root"].includes(partOf(relative(SRC, f))));
    const offenders = faces.filter((f) => /\bs(?:ervices)?\.deps\b|\.services\.deps\b/.test(readFileSync(f, "utf8"))).map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });

  // The checker itself must reject what the map forbids (each line could silently rot).
  test.each([
    ["api/routes/x.ts", `import { createStore } from "../../store";`, "store"],
    ["ui/pages/x.ts", `import type { Vault } from "../../vault/vault";`, "vault"],
    ["grpc/server.ts", `import { openDatabase } from "../store/db";`, "store"],
    ["oidc/index.ts", `import { accountRoutes } from "../ui/pages/accounts";`, "face:ui"],
    ["api/routes/x.ts", `import { Database } from "bun:sqlite";`, "bun:sqlite"],
    ["services/x.ts", `import { errorResponse } from "../http/errorResponse";`, "http"],
    ["services/x.ts", `export { x } from "../api/app";`, "face:api"],
    ["services/x.ts", `import { LoginBody } from "../schemas/auth";`, "schemas"],
    ["grpc/x.ts", `import { authRoutes } from "../api/routes/auth";`, "face:api"],
    ["policy/x.ts", `import { readFileSync } from "node:fs";`, "no packages"],
    ["policy/x.ts", `const m = await import("../store");`, "store"],
    ["client/x.ts", `import { AppError } from "../errors";`, "kernel"],
    ["client/x.ts", `import { Elysia } from "elysia";`, "undici"],
    ["grpc/handlers.ts", `import type { App } from "../app";`, "root"],
    ["grpc/client.ts", `import type { Services } from "../services";`, "services"],
    ["store/x.ts", `import { decide } from "../policy/engine";`, "policy"],
    ["kernel", `import "node:fs";`, "I/O"],
  ])("rejects %s: %s", (file, code, mention) => {
    const path = file === "kernel" ? join(SRC, "log.ts") : join(SRC, file);
    const v = checkFile(path, code);
    expect(v.length).toBeGreaterThan(0);
    expect(v.map((x) => x.reason).join(" ")).toContain(mention);
  });

  test.each([
    ["grpc/x.ts", `import type { Services } from "../services";`],
    ["oidc/x.ts", `import { errorResponse } from "../http/errorResponse";`],
    ["forwardauth/x.ts", `import { AppError } from "../errors";`],
    ["grpc/x.ts", `import { LoginBody } from "../schemas/auth";`],
    ["cli/db/x.ts", `import { createCore } from "../../app";`],
    ["grpc/server.ts", `import type { App } from "../app";`],
    ["grpc/client.ts", `import type { McIasApi } from "../client/client";`],
  ])("allows %s: %s", (file, code) => {
    expect(checkFile(join(SRC, file), code)).toEqual([]);
  });
});
