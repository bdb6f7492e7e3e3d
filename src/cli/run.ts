/**
 * A strict runner over citty: SPEC §9 wants usage errors (unknown flag, missing
 * required flag, unknown subcommand) to exit 2 with the command's help, and citty
 * alone accepts unknown flags and exits 1.
 */
import { parseArgs, renderUsage, type ArgsDef, type CommandDef } from "citty";

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

async function usage(cmd: AnyCommand, parent?: AnyCommand): Promise<string> {
  const text = await renderUsage(cmd, parent);
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

export async function runCli(root: AnyCommand, argv: string[]): Promise<number> {
  let cmd = root;
  let parent: AnyCommand | undefined;
  let rest = argv;
  // Walk down leading subcommand names.
  for (;;) {
    const subs = cmd.subCommands ? await resolveValue(cmd.subCommands) : undefined;
    if (!subs) break;
    const name = rest[0];
    if (name === undefined || name.startsWith("-")) {
      if (rest.includes("--help") || rest.includes("-h") || (name === undefined && !cmd.run)) {
        const out = await usage(cmd, parent);
        if (rest.includes("--help") || rest.includes("-h")) { console.log(out); return 0; }
        console.error(out);
        return 2;
      }
      if (!cmd.run) { console.error(await usage(cmd, parent)); return 2; }
      break;
    }
    const next = (subs as Record<string, unknown>)[name];
    if (!next) {
      console.error(`unknown command: ${name}\n`);
      console.error(await usage(cmd, parent));
      return 2;
    }
    parent = cmd;
    cmd = await resolveValue(next as AnyCommand);
    rest = rest.slice(1);
  }
  const argsDef = (cmd.args ? await resolveValue(cmd.args) : {}) as ArgsDef;
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(await usage(cmd, parent));
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
      console.error(await usage(cmd, parent));
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
    console.error(await usage(cmd, parent));
    return 2;
  }
  if (!cmd.run) {
    console.error(await usage(cmd, parent));
    return 2;
  }
  try {
    await cmd.run({ rawArgs: rest, args: parsed as never, cmd, data: undefined });
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n`);
      console.error(await usage(cmd, parent));
      return 2;
    }
    if (e instanceof ExitError) {
      if (e.message) console.error(e.message);
      return e.exitCode;
    }
    throw e;
  }
}
