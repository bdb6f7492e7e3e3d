/** The command tree of the real binary, read from its `--help` output (citty format). */
import { runMcias } from "../helpers/server";

export interface Leaf { path: string[]; flags: string[] }

/** citty help: subcommands under COMMANDS, flags under OPTIONS. */
export function parseHelp(out: string): { subs: string[]; flags: string[] } {
  const subs: string[] = [];
  const flags = new Set<string>();
  let section = "";
  for (const line of out.split("\n")) {
    if (/^[A-Z]+$/.test(line.trim())) { section = line.trim(); continue; }
    if (section === "COMMANDS") { const m = /^\s+([a-z][a-z0-9-]*)\s{2,}/.exec(line); if (m) subs.push(m[1]!); }
    if (section === "OPTIONS") for (const m of line.matchAll(/--([a-z][a-z0-9-]*)/g)) flags.add(m[1]!);
  }
  return { subs, flags: [...flags] };
}

async function walk(path: string[]): Promise<Leaf[]> {
  const r = await runMcias([...path, "--help"]);
  if (r.code !== 0) throw new Error(`mcias ${path.join(" ")} --help exited ${r.code}: ${r.stderr}`);
  const h = parseHelp(r.stdout + r.stderr);
  if (h.subs.length === 0) return [{ path, flags: h.flags }];
  return (await Promise.all(h.subs.map((s) => walk([...path, s])))).flat();
}

const cache = new Map<string, Promise<Leaf[]>>();
/** Every leaf command under `mcias <path…>` with its flags (memoized per test file). */
export function leavesOf(...path: string[]): Promise<Leaf[]> {
  const k = path.join(" ");
  if (!cache.has(k)) cache.set(k, walk(path));
  return cache.get(k)!;
}
