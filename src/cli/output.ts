/** Human output shared by ctl and db: aligned tables with a header, `key: value` records. */

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

