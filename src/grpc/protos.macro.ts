/**
 * Build-time macro: reads proto/**\/*.proto when the bundle is made, so the protos are
 * embedded in the compiled binary (no .proto file is read at run time) and the same
 * code runs under `bun run`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

export function loadProtoFiles(): Record<string, string> {
  const root = join(import.meta.dir, "..", "..", "proto");
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".proto")) out[relative(root, p)] = readFileSync(p, "utf8");
    }
  };
  walk(root);
  return out;
}
