/**
 * The series of SPEC §19, and the narrow interface the rest of the server reports
 * through. Services see only `Telemetry` (no Prometheus types); the composition root
 * builds the real one, tests and `mcias db` get `noTelemetry`.
 */
import { statSync } from "node:fs";
import { createRegistry } from "./registry";

export interface Telemetry {
  /** An audit row was written: logins and lockouts are counted from these. */
  audited(type: string, details: Readonly<Record<string, unknown>>): void;
  /** POST /v1/token/validate (and its gRPC twin) answered. */
  validation(valid: boolean): void;
  /** A per-IP limiter refused a request. */
  rateLimited(limiter: string): void;
  /** One HTTP request: route template (never the raw path), method, status, seconds. */
  request(route: string, method: string, status: number, seconds: number): void;
}

export const noTelemetry: Telemetry = { audited() {}, validation() {}, rateLimited() {}, request() {} };

const LOGIN_RESULT: Record<string, string> = {
  login_ok: "ok", login_fail: "fail", login_totp_fail: "totp_fail", login_locked: "locked",
};

/** Latency buckets (seconds): the hot path is sub-millisecond, a login is ~Argon2id. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface TelemetrySources {
  sealed(): boolean;
  /** The SQLite file; its -wal sibling is measured too. */
  dbPath: string;
}

export function createTelemetry(src: TelemetrySources) {
  const r = createRegistry();
  const logins = r.counter("mcias_logins_total", "Login attempts by result (ok, fail, totp_fail, locked) and method.", ["result", "method"]);
  const validations = r.counter("mcias_token_validations_total", "Token validations by result (valid, invalid).", ["result"]);
  const lockouts = r.counter("mcias_lockouts_total", "Accounts locked after too many failed logins.");
  const limited = r.counter("mcias_rate_limited_total", "Requests refused by a per-IP rate limit, by limiter.", ["limiter"]);
  const requests = r.counter("mcias_http_requests_total", "HTTP requests by route template, method and status.", ["route", "method", "status"]);
  const latency = r.histogram("mcias_http_request_duration_seconds", "HTTP request latency by route template and method.", ["route", "method"], BUCKETS);
  r.gauge("mcias_vault_sealed", "1 while the vault is sealed, else 0.", () => (src.sealed() ? 1 : 0));
  const size = (p: string) => { try { return statSync(p).size; } catch { return 0; } };
  r.gauge("mcias_database_size_bytes", "Size of the SQLite database file.", () => size(src.dbPath));
  r.gauge("mcias_database_wal_size_bytes", "Size of the SQLite write-ahead log.", () => size(`${src.dbPath}-wal`));
  r.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", () => process.memoryUsage.rss());
  r.gauge("process_heap_bytes", "JavaScript heap in use, in bytes.", () => process.memoryUsage().heapUsed);
  const started = Date.now() / 1000;
  r.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.", () => started);

  const telemetry: Telemetry = {
    audited(type, details) {
      const result = LOGIN_RESULT[type];
      if (!result) return;
      logins.inc({ result, method: typeof details.method === "string" ? details.method : "password" });
      // A failure row with locked:true is the one that engaged the lock (later tries
      // during the lockout are login_locked rows).
      if (details.locked === true && type !== "login_locked") lockouts.inc();
    },
    validation(valid) { validations.inc({ result: valid ? "valid" : "invalid" }); },
    rateLimited(limiter) { limited.inc({ limiter }); },
    request(route, method, status, seconds) {
      requests.inc({ route, method, status: String(status) });
      latency.observe({ route, method }, seconds);
    },
  };
  return { telemetry, expose: () => r.expose() };
}
