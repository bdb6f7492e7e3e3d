/**
 * SPEC §19 metrics: the compiled server with `metrics_addr` serves the Prometheus text
 * format; the series move with real traffic; a real parser (prometheus_client, PyPI)
 * accepts the exposition; no label carries a username, token, account id or IP.
 */
import { describe, expect, test } from "bun:test";
import { ADMIN_PASSWORD, createHuman, useServer, type TestServer } from "../helpers/server";

let s: TestServer;
useServer((x) => (s = x), {
  sections: {
    server: `metrics_addr = "127.0.0.1:0"`,
    lockout: `max_failures = 3\nwindow = "15m"\nduration = "15m"`,
  },
});

const metricsUrl = () => {
  const line = s.logs().find((l) => l.includes('"msg":"metrics listening"'));
  if (!line) throw new Error("no metrics listening line");
  return JSON.parse(line).url as string;
};
const scrape = async () => {
  const r = await fetch(metricsUrl());
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toContain("text/plain");
  return r.text();
};
/** The value of one sample line, e.g. sample(text, 'mcias_logins_total{result="ok",method="password"}'). */
const sample = (text: string, series: string): number => {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line ? Number(line.slice(series.length + 1)) : 0;
};

/** Python with prometheus_client: the CI venv, else whatever python3 has it. */
async function parseWithPrometheusClient(text: string): Promise<{ code: number; out: string }> {
  const candidates = [Bun.env.MCIAS_PROM_PYTHON, `${Bun.env.HOME}/.venvs/prom/bin/python`, "python3"].filter(Boolean) as string[];
  const prog = [
    "import sys",
    "from prometheus_client.parser import text_string_to_metric_families",
    "fams = list(text_string_to_metric_families(sys.stdin.read()))",
    "print(len(fams), sum(len(f.samples) for f in fams))",
  ].join("\n");
  for (const py of candidates) {
    const p = Bun.spawn([py, "-c", prog], { stdin: new Blob([text]), stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    if (code === 0 || !err.includes("No module named")) return { code, out: out + err };
  }
  throw new Error("prometheus_client not installed (run .ci/install.d/metrics.sh)");
}

describe("metrics", () => {
  test("only GET /metrics, plain HTTP, bound where configured", async () => {
    const url = new URL(metricsUrl());
    expect(url.protocol).toBe("http:");
    expect(url.hostname).toBe("127.0.0.1");
    expect((await fetch(new URL("/", url))).status).toBe(404);
    expect((await fetch(url, { method: "POST" })).status).toBe(405);
  });

  test("series move with traffic, and a real parser accepts the exposition", async () => {
    const before = await scrape();
    const token = await s.adminToken();
    const bobId = await createHuman(s, "metrics-bob", "metrics-bob-password-1");
    // One good login, one wrong password, then enough failures to lock an account.
    await s.login("admin", ADMIN_PASSWORD);
    for (let i = 0; i < 3; i++) {
      expect((await s.call("POST", "/v1/auth/login", { json: { username: "metrics-bob", password: "wrong-password-xyz" } })).status).toBe(401);
    }
    expect((await s.call("POST", "/v1/auth/login", { json: { username: "metrics-bob", password: "metrics-bob-password-1" } })).status).toBe(401);
    expect((await s.call("POST", "/v1/token/validate", { json: { token } })).body.valid).toBe(true);
    expect((await s.call("POST", "/v1/token/validate", { json: { token: "garbage" } })).body.valid).toBe(false);
    expect((await s.call("GET", `/v1/accounts/${bobId}`, { token })).status).toBe(200);
    expect((await s.call("GET", `/nothing-here/${bobId}`)).status).toBe(404);
    // The unseal limiter (3/s, burst 5 by default) refuses the sixth quick try.
    let limited = 0;
    for (let i = 0; i < 8; i++) {
      const r = await s.call("POST", "/v1/vault/unseal", { json: { passphrase: "not-the-passphrase-at-all" } });
      if (r.status === 429) limited++;
    }
    expect(limited).toBeGreaterThan(0);

    const after = await scrape();
    const delta = (series: string) => sample(after, series) - sample(before, series);
    expect(delta('mcias_logins_total{result="ok",method="password"}')).toBeGreaterThanOrEqual(1);
    expect(delta('mcias_logins_total{result="fail",method="password"}')).toBeGreaterThanOrEqual(3);
    expect(delta('mcias_logins_total{result="locked",method="password"}')).toBe(1);
    expect(delta("mcias_lockouts_total")).toBe(1);
    expect(delta('mcias_token_validations_total{result="valid"}')).toBe(1);
    expect(delta('mcias_token_validations_total{result="invalid"}')).toBe(1);
    expect(delta('mcias_rate_limited_total{limiter="unseal"}')).toBe(limited);
    expect(delta('mcias_http_requests_total{route="/v1/accounts/:id",method="GET",status="200"}')).toBe(1);
    expect(delta('mcias_http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(1);
    expect(sample(after, 'mcias_http_request_duration_seconds_count{route="/v1/auth/login",method="POST"}')).toBeGreaterThanOrEqual(5);
    expect(sample(after, "mcias_vault_sealed")).toBe(0);
    expect(sample(after, "mcias_database_size_bytes")).toBeGreaterThan(0);
    expect(sample(after, "process_resident_memory_bytes")).toBeGreaterThan(1e6);

    // Nothing that identifies a person, a token or a client.
    for (const secret of ["metrics-bob", "admin", bobId, token, token.split(".")[2]!, "127.0.0.1"]) {
      expect(after).not.toContain(secret);
    }

    const parsed = await parseWithPrometheusClient(after);
    expect(parsed.code).toBe(0);
    const [families, samples] = parsed.out.trim().split(/\s+/).map(Number);
    expect(families).toBeGreaterThanOrEqual(12);
    expect(samples).toBeGreaterThan(20);
  }, 60_000);

  test("the Grafana dashboard in dist/ queries only series the server exposes", async () => {
    const dash = await Bun.file(`${import.meta.dir}/../../dist/grafana-dashboard.json`).json();
    const text = await scrape();
    const exposed = new Set(text.split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]!));
    const exprs: string[] = dash.panels.flatMap((p: { targets: Array<{ expr: string }> }) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(5);
    for (const e of exprs) {
      const names = e.match(/\b(mcias_[a-z_]+|process_[a-z_]+)/g) ?? [];
      expect(names.length).toBeGreaterThan(0);
      for (const n of names) expect(exposed.has(n.replace(/_(bucket|sum|count)$/, ""))).toBe(true);
    }
  });

  test("a sealed vault shows in the gauge", async () => {
    const token = await s.adminToken();
    expect((await s.call("POST", "/v1/vault/seal", { token })).status).toBe(200);
    // Last in this file: a keyfile server cannot be unsealed without a restart.
    expect(sample(await scrape(), "mcias_vault_sealed")).toBe(1);
  });
});
