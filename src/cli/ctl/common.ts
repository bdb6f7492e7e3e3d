/**
 * What every `mcias ctl` command shares: the global flags, building a client from
 * them, the saved token file, output (tables, key: value, --json) and turning client
 * errors into exit codes (1 = the server refused or could not be reached).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { defineCommand, type ArgsDef, type CommandDef } from "citty";
import { McIasClient } from "../../client/client";
import { ApiError, McIasError } from "../../client/errors";
import { readSecret } from "../prompt";
import { ExitError, UsageError } from "../run";

/** Flags every ctl command takes (SPEC §9). */
export const globalArgs = {
  server: { type: "string", description: "Server URL, e.g. https://auth.example.com:8443 (env MCIAS_SERVER)" },
  token: { type: "string", description: "Bearer token (env MCIAS_TOKEN; default: the token saved by `auth login`)" },
  cacert: { type: "string", description: "PEM file of the CA to trust for the server's certificate (env MCIAS_CACERT)" },
  json: { type: "boolean", description: "Print the server's JSON instead of tables" },
} as const satisfies ArgsDef;

/** The parsed global flags. */
export type GlobalArgs = { server?: string; token?: string; cacert?: string; json?: boolean };

/** `$XDG_CONFIG_HOME/mcias/token`, else `~/.config/mcias/token`. */
export function tokenPath(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "mcias", "token");
}

/** Saves the token: directory 0700, file 0600, written whole (temp file + rename). */
export function saveToken(token: string): string {
  const path = tokenPath();
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, token + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return path;
}

/** The saved token, or undefined when there is none. */
export function loadSavedToken(): string | undefined {
  const path = tokenPath();
  if (!existsSync(path)) return undefined;
  // Refuse a token file others can read: it means someone else may have it too.
  if ((statSync(path).mode & 0o077) !== 0) throw new ExitError(1, `mcias: ${path} is readable by others; fix with chmod 600 ${path}`);
  const t = readFileSync(path, "utf8").trim();
  return t === "" ? undefined : t;
}

/** Removes the saved token file if it holds `token` (or unconditionally without one). */
export function forgetSavedToken(token?: string): boolean {
  const path = tokenPath();
  if (!existsSync(path)) return false;
  if (token !== undefined && readFileSync(path, "utf8").trim() !== token) return false;
  rmSync(path, { force: true });
  return true;
}

/**
 * Reads a secret (hidden prompt in a terminal, next stdin line otherwise); a missing
 * line or two differing entries end the command with exit 1 and the reason.
 */
export async function secret(prompt: string, opts: { confirm?: boolean } = {}): Promise<string> {
  try { return await readSecret(prompt, opts); } catch (e) { throw new ExitError(1, `mcias: ${(e as Error).message}`); }
}

/** Builds the client from flags and environment. `auth` false: send no token. */
export function makeClient(args: GlobalArgs, opts: { auth?: boolean } = {}): McIasClient {
  const server = args.server || process.env.MCIAS_SERVER;
  if (!server) throw new UsageError("no server: pass --server URL or set MCIAS_SERVER");
  const caPath = args.cacert || process.env.MCIAS_CACERT;
  let caCert: string | undefined;
  if (caPath) {
    try { caCert = readFileSync(caPath, "utf8"); } catch { throw new ExitError(1, `mcias: cannot read CA certificate ${caPath}`); }
  }
  const token = opts.auth === false ? undefined : args.token || process.env.MCIAS_TOKEN || loadSavedToken();
  try {
    return new McIasClient({ serverUrl: server, caCert, token });
  } catch (e) {
    throw new UsageError(`--server: ${(e as Error).message}`);
  }
}

/** Client errors → exit 1 with the server's message and code on stderr. */
export function refusal(e: unknown): never {
  if (e instanceof ApiError) throw new ExitError(1, `mcias: ${e.serverMessage} (${e.code})`);
  if (e instanceof McIasError) throw new ExitError(1, `mcias: ${e.message} (${e.code})`);
  throw e;
}

/**
 * Defines a leaf command with the global flags added and client errors mapped to
 * exit codes.
 */
export function leaf<A extends ArgsDef>(def: {
  name: string;
  description: string;
  args?: A;
  run: (args: GlobalArgs & Record<string, unknown>) => Promise<void>;
}): CommandDef<A & typeof globalArgs> {
  return defineCommand({
    meta: { name: def.name, description: def.description },
    args: { ...(def.args ?? ({} as A)), ...globalArgs },
    async run({ args }) {
      try {
        await def.run(args as GlobalArgs & Record<string, unknown>);
      } catch (e) {
        if (e instanceof McIasError) refusal(e);
        // A local file problem (token file, --file, --cacert): say which, without a stack.
        const sys = e as NodeJS.ErrnoException;
        if (sys && typeof sys.code === "string" && typeof sys.syscall === "string") {
          throw new ExitError(1, `mcias: ${sys.syscall} ${sys.path ?? ""}: ${sys.code}`.replace(/\s+:/, ":"));
        }
        throw e;
      }
    },
  }) as CommandDef<A & typeof globalArgs>;
}

/**
 * Defines a command group. Its help (rendered by src/cli/run.ts) carries the summary,
 * an example, a SYNOPSIS of every subcommand's flags and the global flags. The
 * parent's COMMANDS table shows only the first line.
 */
export function group(name: string, description: string, subCommands: Record<string, CommandDef<any>>): CommandDef<any> {
  const [summary, example] = description.split(/ (?=Example: )/);
  const text = [summary, example, "Every subcommand also takes --server URL, --token T, --cacert FILE and --json (before or after the subcommand)."]
    .filter(Boolean).join("\n");
  return defineCommand({ meta: { name, description: text }, args: globalArgs, subCommands });
}

// ---- output -----------------------------------------------------------------------

/** Prints JSON as the server sent it (pretty-printed); nothing for an empty body. */
export function printJson(value: unknown): void {
  if (value === undefined) return;
  console.log(JSON.stringify(value, null, 2));
}

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return "-";
  if (Array.isArray(v)) return v.length ? v.join(",") : "-";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
};

/** An aligned table with an upper-case header; "(none)" when empty. */
export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) { console.log("(none)"); return; }
  const data = [columns.map((c) => c.toUpperCase()), ...rows.map((r) => columns.map((c) => cell(r[c])))];
  const widths = columns.map((_, i) => Math.max(...data.map((r) => r[i]!.length)));
  for (const r of data) console.log(r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!))).join("  ").trimEnd());
}

/** A single record as aligned `key: value` lines. */
export function printRecord(rec: Record<string, unknown>): void {
  const keys = Object.keys(rec);
  const w = Math.max(...keys.map((k) => k.length)) + 1;
  for (const k of keys) console.log(`${(k + ":").padEnd(w)} ${cell(rec[k])}`);
}

/** Prints a result: the JSON with --json, else the human form. */
export function output<T>(args: GlobalArgs, value: T, human: (v: T) => void): void {
  if (args.json) printJson(value);
  else human(value);
}

/** Splits `a,b,c` into trimmed, non-empty items (`""` is the empty list). */
export function list(v: unknown): string[] {
  return String(v ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** A required string flag the runner could not enforce (group-specific requirements). */
export function need(args: Record<string, unknown>, name: string, why = ""): string {
  const v = args[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`missing required flag --${name}${why ? ` ${why}` : ""}`);
  return v;
}

/** Reads JSON from `--file F` (or `-`) or else from stdin. */
export async function readJsonInput(file: unknown): Promise<unknown> {
  let text: string;
  if (typeof file === "string" && file !== "" && file !== "-") {
    try { text = readFileSync(file, "utf8"); } catch { throw new ExitError(1, `mcias: cannot read ${file}`); }
  } else {
    if (process.stdin.isTTY) process.stderr.write("Reading JSON from standard input (end with Ctrl-D)...\n");
    text = await Bun.stdin.text();
  }
  try { return JSON.parse(text); } catch { throw new UsageError("the input is not valid JSON"); }
}
