/**
 * A small Prometheus registry: counters, gauges read at scrape time, and histograms,
 * exposed in the text format (version 0.0.4). Label values are fixed sets chosen by the
 * caller (result, method, route template, status): never a username, token or IP, so
 * the number of series stays bounded.
 */
type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  render(out: string[]): void;
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const fmt = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN");

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

export interface Counter<L extends string> { inc(labels?: Partial<Record<L, string>>, by?: number): void }
export interface Histogram<L extends string> { observe(labels: Partial<Record<L, string>>, value: number): void }

export function createRegistry() {
  const families: Family[] = [];
  const names = new Set<string>();
  const register = (f: Family) => {
    if (names.has(f.name)) throw new Error(`metric ${f.name} registered twice`);
    names.add(f.name);
    families.push(f);
  };

  function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    const series = new Map<string, { values: string[]; n: number }>();
    register({
      name, help, type: "counter",
      render(out) {
        if (series.size === 0 && labelNames.length === 0) out.push(`${name} 0`);
        for (const s of series.values()) out.push(`${name}${labelText(labelNames, s.values)} ${fmt(s.n)}`);
      },
    });
    return {
      inc(labels = {}, by = 1) {
        const key = seriesKey(labelNames, labels);
        const s = series.get(key);
        if (s) s.n += by;
        else series.set(key, { values: labelNames.map((l) => labels[l] ?? ""), n: by });
      },
    };
  }

  /** A gauge whose samples are read when scraped (sizes, memory, sealed state). */
  function gauge(name: string, help: string, read: () => number | Array<{ labels: Labels; value: number }>): void {
    register({
      name, help, type: "gauge",
      render(out) {
        const v = read();
        if (typeof v === "number") out.push(`${name} ${fmt(v)}`);
        else for (const s of v) out.push(`${name}${labelText(Object.keys(s.labels), Object.values(s.labels))} ${fmt(s.value)}`);
      },
    });
  }

  function histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): Histogram<L> {
    const bounds = [...buckets].sort((a, b) => a - b);
    const series = new Map<string, { values: string[]; counts: number[]; sum: number; n: number }>();
    register({
      name, help, type: "histogram",
      render(out) {
        for (const s of series.values()) {
          let cum = 0;
          bounds.forEach((b, i) => {
            cum += s.counts[i]!;
            out.push(`${name}_bucket${labelText(labelNames, s.values, ["le", fmt(b)])} ${cum}`);
          });
          out.push(`${name}_bucket${labelText(labelNames, s.values, ["le", "+Inf"])} ${s.n}`);
          out.push(`${name}_sum${labelText(labelNames, s.values)} ${fmt(s.sum)}`);
          out.push(`${name}_count${labelText(labelNames, s.values)} ${s.n}`);
        }
      },
    });
    return {
      observe(labels, value) {
        const key = seriesKey(labelNames, labels);
        let s = series.get(key);
        if (!s) { s = { values: labelNames.map((l) => labels[l] ?? ""), counts: bounds.map(() => 0), sum: 0, n: 0 }; series.set(key, s); }
        let i = 0;
        while (i < bounds.length && value > bounds[i]!) i++;
        if (i < bounds.length) s.counts[i]! += 1;
        s.sum += value;
        s.n += 1;
      },
    };
  }

  /** The text exposition format (what `GET /metrics` answers). */
  function expose(): string {
    const out: string[] = [];
    for (const f of families) {
      out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
      out.push(`# TYPE ${f.name} ${f.type}`);
      f.render(out);
    }
    return out.join("\n") + "\n";
  }

  return { counter, gauge, histogram, expose };
}

export type Registry = ReturnType<typeof createRegistry>;

/** The map key of one series: its label values joined (no arrays: this runs per request). */
function seriesKey(labelNames: readonly string[], labels: Record<string, string | undefined>): string {
  let key = "";
  for (let i = 0; i < labelNames.length; i++) key += (i ? "\u0000" : "") + (labels[labelNames[i]!] ?? "");
  return key;
}
