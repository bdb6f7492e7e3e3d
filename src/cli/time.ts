/** Time flags of ctl and db (SPEC §17): an RFC 3339 time, or a duration back from now. */
import { parseDuration } from "../config/duration";
import { UsageError } from "./run";

/** `--since 24h` means 24 hours ago; an RFC 3339 time is passed through. */
export function timeFlag(v: unknown, name: string, now = Date.now()): string | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  const ms = parseDuration(s);
  if (ms !== null) return new Date(now - ms).toISOString();
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s) || Number.isNaN(Date.parse(s))) {
    throw new UsageError(`--${name} must be an RFC 3339 time (2026-01-31T00:00:00Z) or a duration back from now (24h, 7d, 90m)`);
  }
  return s;
}
