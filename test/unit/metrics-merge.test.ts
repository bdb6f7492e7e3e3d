/** Summing the threads' expositions (src/workers/metricsMerge.ts). */
import { expect, test } from "bun:test";
import { mergeExpositions } from "../../src/workers/metricsMerge";

const main = `# HELP c_total A counter.
# TYPE c_total counter
c_total{r="a"} 2
# HELP g A gauge.
# TYPE g gauge
g 100
# HELP h Latency.
# TYPE h histogram
h_bucket{le="0.1"} 1
h_bucket{le="+Inf"} 2
h_sum 0.5
h_count 2
`;
const worker = `# HELP c_total A counter.
# TYPE c_total counter
c_total{r="a"} 3
c_total{r="b"} 1
# HELP g A gauge.
# TYPE g gauge
g 7
# HELP h Latency.
# TYPE h histogram
h_bucket{le="0.1"} 4
h_bucket{le="+Inf"} 4
h_sum 0.25
h_count 4
`;

test("counters and histograms add up per series; gauges come from the first; one HELP/TYPE each", () => {
  const out = mergeExpositions([main, worker]);
  expect(out).toContain('c_total{r="a"} 5\n');
  expect(out).toContain('c_total{r="b"} 1\n');
  expect(out).toContain("\ng 100\n");
  expect(out).toContain('h_bucket{le="0.1"} 5\n');
  expect(out).toContain('h_bucket{le="+Inf"} 6\n');
  expect(out).toContain("h_sum 0.75\n");
  expect(out).toContain("h_count 6\n");
  expect(out.match(/^# TYPE c_total counter$/gm)).toHaveLength(1);
  expect(mergeExpositions([main])).toBe(main);
});
