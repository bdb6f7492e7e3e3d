/**
 * A strict runner over citty: SPEC §9 wants usage errors (unknown flag, missing
 * required flag, unknown subcommand) to exit 2 with the command's help, and citty
 * alone accepts unknown flags and exits 1. SPEC §17: a group's own flags (the global
 * flags: --server, --token, --cacert, --json for ctl; --config for db) are accepted
 * before or after the subcommand, and help is our own rendering, wrapped to 80 columns
 * (citty's pads every description to the longest one).
 */
import { parseArgs, type ArgDef, type ArgsDef, type CommandDef } from "citty";

export class UsageError extends Error {}
/** Thrown by commands to end with a given exit code after printing their own message. */
export class ExitError extends Error {
  constructor(readonly exitCode: number, message = "") { super(message); }
}

// deno-lint-ignore no-explicit-any
type AnyCommand = CommandDef<any>;

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
export const useColor = () => !Bun.env.NO_COLOR && process.stdout.isTTY === true;

async function resolveValue<T>(v: T | (() => T | Promise<T>) | Promise<T>): Promise<T> {
  return typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;
}

export const HELP_WIDTH = 80;

/** Words of `text` filled into lines of at most `width` columns, each after `indent`. */
export function wrap(text: string | string[], width: number, indent = 0, firstIndent = indent): string[] {
  const lines: string[] = [];
  let line = "";
  let pad = firstIndent;
  for (const word of Array.isArray(text) ? text : text.split(/\s+/).filter(Boolean)) {
    if (line && pad + line.length + 1 + word.length > width) {
      lines.push(" ".repeat(pad) + line);
      line = word;
      pad = indent;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(" ".repeat(pad) + line);
  return lines;
}

const flagLabel = (name: string, def: ArgDef): string => {
  // A boolean that defaults to true is switched off: show it as --no-<name>.
  if (def.type === "boolean") return (def as { default?: unknown }).default === true ? `--no-${name}` : `--${name}`;
  const opts = (def as { options?: string[] }).options;
  return `--${name} ${opts ? opts.join("|") : `<${name}>`}`;
};

/** `--id <id> [--roles <roles>]`: the flags of a leaf, minus the given (global) ones. */
export function synopsis(args: ArgsDef, skip: ArgsDef = {}): string {
  return Object.entries(args)
    .filter(([k, d]) => d.type !== "positional" && !(k in skip))
    .map(([k, d]) => ((d as { required?: boolean }).required ? flagLabel(k, d) : `[${flagLabel(k, d)}]`))
    .join(" ");
}

/** Rows `label  description`, the description column wrapped to the width. */
function table(rows: [string, string][], width: number): string[] {
  const labelWidth = Math.min(Math.max(...rows.map(([l]) => l.length)), 28);
  const out: string[] = [];
  for (const [label, desc] of rows) {
    const col = 2 + labelWidth + 2;
    if (label.length > labelWidth) {
      out.push(`  ${label}`);
      out.push(...wrap(desc, width, col));
    } else {
      const body = wrap(desc, width, col);
      out.push(`  ${label.padEnd(labelWidth)}  ${(body[0] ?? "").trimStart()}`.trimEnd(), ...body.slice(1));
    }
  }
  return out;
}

async function describe(cmd: AnyCommand): Promise<string> {
  const meta = cmd.meta ? await resolveValue(cmd.meta) : undefined;
  return (meta as { description?: string } | undefined)?.description ?? "";
}

/**
 * Help for `cmd` reached by `path` (e.g. ["mcias", "ctl", "account"]): the USAGE line,
 * the description, its subcommands (COMMANDS) with, for a group of leaves, a SYNOPSIS of
 * every subcommand's flags, and its OPTIONS. No line passes 80 columns.
 */
export async function renderHelp(cmd: AnyCommand, path: string[], globals: ArgsDef = {}): Promise<string> {
  const w = HELP_WIDTH;
  const out: string[] = [];
  const args = (cmd.args ? await resolveValue(cmd.args) : {}) as ArgsDef;
  const subs = cmd.subCommands ? ((await resolveValue(cmd.subCommands)) as Record<string, AnyCommand>) : undefined;
  const name = path.join(" ");
  if (subs) {
    out.push(...wrap(`USAGE  ${name} <command> [options]`, w, 9, 0));
  } else {
    const g = Object.keys(globals).length ? " [global options]" : "";
    out.push(...wrap(["USAGE", ...path, ...flagUnits(synopsis(args, globals)), ...(g ? ["[global options]"] : [])], w, 9, 0));
  }
  out.push("");
  for (const para of (await describe(cmd)).split("\n")) out.push(...(para.trim() ? wrap(para, w) : [""]));
  if (subs) {
    out.push("", "COMMANDS");
    const rows: [string, string][] = [];
    for (const [n, c] of Object.entries(subs)) rows.push([n, (await describe(await resolveValue(c))).split("\n")[0]!]);
    out.push(...table(rows, w));
    const leaves: string[] = [];
    for (const [n, c0] of Object.entries(subs)) {
      const c = await resolveValue(c0);
      if (c.subCommands) continue;
      const a = (c.args ? await resolveValue(c.args) : {}) as ArgsDef;
      const skip = { ...globals, ...args };
      leaves.push(...wrapSynopsis(`${path[path.length - 1]} ${n}`, synopsis(a, skip), w));
    }
    if (leaves.length) out.push("", "SYNOPSIS", ...leaves);
  }
  const own = Object.entries({ ...args, ...(subs ? globals : {}) }).filter(([, d]) => d.type !== "positional");
  if (own.length) {
    out.push("", "OPTIONS");
    out.push(...table(own.map(([k, d]) => {
      const def = d as { type?: string; description?: string; required?: boolean; default?: unknown };
      const extra = def.required ? " (required)" : def.default !== undefined && def.type !== "boolean" ? ` (default: ${String(def.default)})` : "";
      return [flagLabel(k, d), `${def.description ?? ""}${extra}`];
    }), w));
  }
  if (subs) out.push("", ...wrap(`Run ${name} <command> --help for a command's own flags.`, w));
  return out.map((l) => l.trimEnd()).join("\n").replace(/\n{3,}/g, "\n\n") + "\n";
}

/** A synopsis split into its flags (`[--roles <roles>]`, `--id <id>`), never inside one. */
const flagUnits = (flags: string): string[] => flags.match(/\[[^\]]*\]|--\S+(?: [^\s\[-][^\s]*)?/g) ?? [];

/** `  account create --username <username> …`, wrapped between flags (never inside one). */
function wrapSynopsis(head: string, flags: string, width: number): string[] {
  const parts = flagUnits(flags);
  const lines: string[] = [];
  let line = `  ${head}`;
  for (const p of parts) {
    if (line.length + 1 + p.length > width && line.trim() !== head) {
      lines.push(line);
      line = `      ${p}`;
    } else line += ` ${p}`;
  }
  lines.push(line);
  return lines;
}

async function usage(cmd: AnyCommand, path: string[], globals: ArgsDef): Promise<string> {
  const text = await renderHelp(cmd, path, globals);
  return useColor() ? text : stripAnsi(text);
}

function allowedFlags(args: ArgsDef): Set<string> {
  const allowed = new Set(["help", "h"]);
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    allowed.add(name);
    allowed.add(name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase()));
    if (def.type === "boolean") allowed.add(`no-${name}`);
    const alias = (def as { alias?: string | string[] }).alias;
    for (const a of Array.isArray(alias) ? alias : alias ? [alias] : []) allowed.add(a);
  }
  return allowed;
}

/** Whether `tok` (a `--name` or `--name=value`) names a flag in `args`; its definition. */
function flagDef(args: ArgsDef, tok: string): ArgDef | undefined {
  const name = tok.replace(/^--?/, "").split("=")[0]!;
  for (const [k, d] of Object.entries(args)) {
    if (d.type === "positional") continue;
    if (k === name || k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase()) === name || (d.type === "boolean" && `no-${k}` === name)) return d;
  }
  return undefined;
}

export async function runCli(root: AnyCommand, argv: string[]): Promise<number> {
  let cmd = root;
  const path = [String(((root.meta ? await resolveValue(root.meta) : {}) as { name?: string }).name ?? "mcias")];
  let rest = argv;
  // Flags of the groups on the way down (the global flags), given before the subcommand:
  // carried to the leaf, which declares them too.
  let globals: ArgsDef = {};
  const carried: string[] = [];
  const wantsHelp = () => rest.includes("--help") || rest.includes("-h");
  // Walk down leading subcommand names.
  for (;;) {
    const subs = cmd.subCommands ? await resolveValue(cmd.subCommands) : undefined;
    if (!subs) break;
    if (cmd !== root && cmd.args) globals = { ...globals, ...((await resolveValue(cmd.args)) as ArgsDef) };
    let name = rest[0];
    // Global flags before the subcommand name: `mcias ctl --server U account list`.
    while (name !== undefined && name.startsWith("-") && name !== "--help" && name !== "-h" && name !== "--") {
      const def = flagDef(globals, name);
      if (!def) break;
      const n = def.type === "boolean" || name.includes("=") || rest[1] === undefined ? 1 : 2;
      carried.push(...rest.slice(0, n));
      rest = rest.slice(n);
      name = rest[0];
    }
    if (name === undefined || name.startsWith("-")) {
      if (wantsHelp()) { console.log(await usage(cmd, path, globals)); return 0; }
      if (name !== undefined && name !== "--") console.error(`unknown flag: ${name.split("=")[0]}\n`);
      // A group called without a subcommand: its help on stderr, exit 2 (SPEC §17).
      console.error(await usage(cmd, path, globals));
      return 2;
    }
    const next = (subs as Record<string, unknown>)[name];
    if (!next) {
      console.error(`unknown command: ${name}\n`);
      console.error(await usage(cmd, path, globals));
      return 2;
    }
    cmd = await resolveValue(next as AnyCommand);
    path.push(name);
    rest = rest.slice(1);
  }
  const dash = rest.indexOf("--");
  rest = dash < 0 ? [...rest, ...carried] : [...rest.slice(0, dash), ...carried, ...rest.slice(dash)];
  const argsDef = (cmd.args ? await resolveValue(cmd.args) : {}) as ArgsDef;
  if (wantsHelp()) {
    console.log(await usage(cmd, path, globals));
    return 0;
  }
  const allowed = allowedFlags(argsDef);
  for (const tok of rest) {
    if (tok === "--") break;
    // A negative number is a value (`--id -1`: built-in policy rules), never a flag.
    if (!tok.startsWith("-") || tok === "-" || /^-[0-9]/.test(tok)) continue;
    const name = tok.replace(/^--?/, "").split("=")[0]!;
    if (!allowed.has(name)) {
      console.error(`unknown flag: ${tok.split("=")[0]}\n`);
      console.error(await usage(cmd, path, globals));
      return 2;
    }
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = parseArgs(rest, argsDef) as Record<string, unknown>;
    for (const [name, def] of Object.entries(argsDef)) {
      const v = parsed[name];
      if ((def as { required?: boolean }).required && (v === undefined || v === "")) throw new UsageError(`missing required flag --${name}`);
      if (def.type === "string" && v === true) throw new UsageError(`flag --${name} needs a value`);
      const opts = (def as { options?: string[] }).options;
      if (def.type === "enum" && v !== undefined && opts && !opts.includes(String(v))) throw new UsageError(`--${name} must be one of ${opts.join(", ")}`);
    }
  } catch (e) {
    console.error(`${(e as Error).message}\n`);
    console.error(await usage(cmd, path, globals));
    return 2;
  }
  if (!cmd.run) {
    console.error(await usage(cmd, path, globals));
    return 2;
  }
  try {
    await cmd.run({ rawArgs: rest, args: parsed as never, cmd, data: undefined });
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n`);
      console.error(await usage(cmd, path, globals));
      return 2;
    }
    if (e instanceof ExitError) {
      if (e.message) console.error(e.message);
      return e.exitCode;
    }
    throw e;
  }
}
