/**
 * Build-time macro: reads migrations/*.sql when the bundle is made, so the SQL is
 * embedded in the compiled binary and the same code runs under `bun run`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export function loadMigrations(): { version: number; name: string; sql: string }[] {
  const dir = join(import.meta.dir, "..", "..", "migrations");
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f, sql: readFileSync(join(dir, f), "utf8") }));
}
