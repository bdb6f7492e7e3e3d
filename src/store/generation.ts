/**
 * "Has anything been committed since I last looked?" in one cheap statement:
 * `PRAGMA data_version` changes when ANY OTHER connection (another process such as
 * `mcias db`, raw sqlite3, or a second connection here) commits; `total_changes()`
 * changes with every row this connection writes. Together they move on every change
 * to the database from anywhere, so a cache keyed on them can never serve a row that
 * was changed after it was read.
 */
import type { Database } from "bun:sqlite";

export function createGeneration(db: Database): () => string {
  const q = db.query<{ v: number; c: number }, []>(
    "SELECT (SELECT data_version FROM pragma_data_version) AS v, total_changes() AS c");
  return () => {
    const r = q.get()!;
    return `${r.v}:${r.c}`;
  };
}
