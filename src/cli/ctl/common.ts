/**
 * What every `mcias ctl` command shares: the global flags, building a client from
 * them, the saved token file, output (tables, key: value, --json) and turning client
 * errors into exit codes (1 = the server refused or could not be reached).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { defineCommand, type ArgsDef, type CommandDef } from "citty";
import { McIasClient } from "../../client/client";
import { ApiError, McIasError, TransportError, UnauthorizedError } from "../../client/errors";
import { readSecret } from "../prompt";
import { ExitError, UsageError } from "../run";
import { printRecord, printTable } from "../output";
import { UUID_RE } from "../../crypto/random";

export { printRecord, printTable };

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

/** `$XDG_CONFIG_HOME/mcias/server.json`: the server URL and CA file `auth login` saved. */
export function connectionPath(): string {
  return join(dirname(tokenPath()), "server.json");
}

export interface SavedConnection { server: string; cacert?: string }

/** Saves the server URL and the CA file's absolute path beside the token (0600). */
export function saveConnection(conn: SavedConnection): string {
  const path = connectionPath();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ server: conn.server, ...(conn.cacert ? { cacert: resolve(conn.cacert) } : {}) }) + "\n", { mode: 0o600 });
  renameSync(tmp, path);
  return path;
}

/** The saved connection, or undefined (an unreadable or malformed file counts as none). */
export function loadConnection(): SavedConnection | undefined {
  try {
    const v = JSON.parse(readFileSync(connectionPath(), "utf8")) as Partial<SavedConnection>;
    if (typeof v.server !== "string") return undefined;
    return { server: v.server, ...(typeof v.cacert === "string" ? { cacert: v.cacert } : {}) };
  } catch { return undefined; }
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

/** Where the server URL and CA come from: flag, environment, else what `auth login` saved. */
export function connection(args: GlobalArgs): { server?: string; caPath?: string } {
  const saved = loadConnection();
  const server = args.server || process.env.MCIAS_SERVER || saved?.server;
  // The saved CA belongs to the saved server only.
  const caPath = args.cacert || process.env.MCIAS_CACERT || (saved && server === saved.server ? saved.cacert : undefined);
  return { server, caPath };
}

/** Builds the client from flags and environment. `auth` false: send no token. */
export function makeClient(args: GlobalArgs, opts: { auth?: boolean } = {}): McIasClient {
  const { server, caPath } = connection(args);
  if (!server) throw new UsageError("no server: pass --server URL, set MCIAS_SERVER, or run mcias ctl auth login --server URL once");
  let caCert: string | undefined;
  if (caPath) {
    try { caCert = readFileSync(caPath, "utf8"); } catch { throw new ExitError(1, `mcias: cannot read CA certificate ${caPath}`); }
  }
  const token = opts.auth === false ? undefined : args.token || process.env.MCIAS_TOKEN || loadSavedToken();
  if (opts.auth !== false && !token) {
    throw new ExitError(1, "mcias: not logged in: run mcias ctl auth login (or pass --token T / set MCIAS_TOKEN)");
  }
  try {
    return new McIasClient({ serverUrl: server, caCert, token });
  } catch (e) {
    throw new UsageError(`--server: ${(e as Error).message}`);
  }
}

const UNTRUSTED = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "CERT_SIGNATURE_FAILURE", "CERT_UNTRUSTED",
]);

/** The names (subjectAltName) of the certificate `url`'s server presents, without verifying it. */
function certificateNames(url: URL): Promise<string | null> {
  return new Promise((done) => {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const sock = tlsConnect({ host, port: Number(url.port || 443), rejectUnauthorized: false, ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }) }, () => {
      const alt = sock.getPeerCertificate()?.subjectaltname ?? null;
      sock.end();
      done(alt ? alt.replace(/IP Address:/g, "IP:") : null);
    });
    sock.setTimeout(5000, () => { sock.destroy(); done(null); });
    sock.on("error", () => done(null));
  });
}

/**
 * A transport failure as a sentence that says what to do (SPEC §17), never the TLS
 * library's wording: untrusted CA, certificate name mismatch, connection refused,
 * unknown host, timeout.
 */
export async function explainTransport(e: TransportError, args: GlobalArgs): Promise<string> {
  const { server, caPath } = connection(args);
  const cause = e.cause as { code?: string; name?: string } | undefined;
  const code = cause?.code ?? "";
  const url = server ? new URL(server) : undefined;
  const where = server ?? "the server";
  if (UNTRUSTED.has(code)) {
    const dev = join(resolve(process.env.MCIAS_HOME || "mcias-data"), "server.crt");
    return `mcias: the certificate of ${where} is not signed by a CA this command trusts${caPath ? ` (--cacert ${caPath})` : ""}: ` +
      `pass --cacert FILE with the server's CA certificate (a development instance wrote ${dev})`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || /altname|hostname.*(match|mismatch)/i.test(e.message)) {
    const names = url ? await certificateNames(url) : null;
    return `mcias: the certificate of ${where} is for ${names ?? "other names"}, not for ${url?.hostname ?? "the host used"}: ` +
      "use a --server URL with one of those names, or a certificate that includes this host";
  }
  if (code === "ECONNREFUSED") return `mcias: cannot connect to ${where}: connection refused (is the server running and listening there?)`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `mcias: cannot resolve the host of ${where}: check --server`;
  if (code === "ETIMEDOUT" || cause?.name === "TimeoutError") return `mcias: ${where} did not answer in time`;
  if (code === "ECONNRESET") return `mcias: ${where} closed the connection (is it an HTTPS MCIAS server?)`;
  return `mcias: cannot talk to ${where}: ${code || e.message}`;
}


/** The help text of every flag that names an account (SPEC §17). */
export const accountFlag = (what = "Account") => ({ type: "string", required: true, description: `${what}: id or username` }) as const;

/**
 * The id of the account a flag names: an id is used as given; a username is looked up
 * (`GET /v1/accounts?username=`, which needs accounts:read; a caller without it can
 * still name themselves).
 */
export async function accountRef(c: McIasClient, value: unknown, flag = "id"): Promise<string> {
  const v = String(value);
  if (UUID_RE.test(v.toLowerCase())) return v.toLowerCase();
  let found: { id: string }[];
  try {
    found = await c.listAccounts({ username: v });
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) {
      const me = await c.me();
      if (me.username === v.toLowerCase()) return me.id;
      throw new ExitError(1, `mcias: --${flag} ${v}: only who may list accounts can name them by username; pass the account id`);
    }
    throw e;
  }
  if (!found[0]) throw new ExitError(1, `mcias: --${flag}: no account named ${v} (not_found)`);
  return found[0].id;
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
        if (e instanceof TransportError) throw new ExitError(1, await explainTransport(e, args as GlobalArgs));
        if (e instanceof UnauthorizedError && def.name !== "login" && !(args as GlobalArgs).token && !process.env.MCIAS_TOKEN) {
          throw new ExitError(1, `mcias: ${e.serverMessage} (${e.code}): your saved token was refused (expired or revoked?): run mcias ctl auth login`);
        }
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
