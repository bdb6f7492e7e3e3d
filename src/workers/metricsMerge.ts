/**
 * Sums the Prometheus expositions of the serving threads: counters and histograms add
 * up series by series; gauges (memory, database size, sealed) come from the first
 * exposition (the main thread's), since they describe the one process.
 */
interface Family { head: string[]; type: string; samples: Map<string, number> }

function parse(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  let cur: Family | null = null;
  for (const line of text.split("\n")) {
    if (!line) continue;
    if (line.startsWith("# HELP ")) {
      const name = line.split(" ")[2]!;
      cur = { head: [line], type: "untyped", samples: new Map() };
      out.set(name, cur);
    } else if (line.startsWith("# TYPE ")) {
      if (cur) { cur.head.push(line); cur.type = line.split(" ")[3] ?? "untyped"; }
    } else if (cur && !line.startsWith("#")) {
      const sp = line.lastIndexOf(" ");
      cur.samples.set(line.slice(0, sp), Number(line.slice(sp + 1)));
    }
  }
  return out;
}

const fmt = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN");

export function mergeExpositions(texts: string[]): string {
  const [first, ...rest] = texts.map(parse);
  if (!first) return "";
  for (const other of rest) {
    for (const [name, f] of other) {
      const mine = first.get(name);
      if (!mine) { first.set(name, f); continue; }
      if (mine.type !== "counter" && mine.type !== "histogram") continue;
      for (const [k, v] of f.samples) mine.samples.set(k, (mine.samples.get(k) ?? 0) + v);
    }
  }
  const out: string[] = [];
  for (const f of first.values()) {
    out.push(...f.head);
    for (const [k, v] of f.samples) out.push(`${k} ${fmt(v)}`);
  }
  return out.join("\n") + "\n";
}
