/**
 * Between REST JSON shapes (what services return and take) and proto messages:
 * RFC 3339 strings ⇄ google.protobuf.Timestamp, null ⇄ absent. Shared by the server
 * adapter and the gRPC client, so both directions stay one definition.
 */

export interface Timestamp { seconds?: number; nanos?: number }

/** Fields that hold times in every MCIAS message. */
export const TIME_FIELDS = new Set([
  "created_at", "updated_at", "expires_at", "issued_at", "revoked_at", "granted_at", "not_before", "time", "since", "until", "last_used_at",
]);

export function toTimestamp(iso: string): Timestamp {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new TypeError("not an RFC 3339 time");
  return { seconds: Math.floor(ms / 1000), nanos: (((ms % 1000) + 1000) % 1000) * 1_000_000 };
}

export function fromTimestamp(ts: Timestamp): string {
  return new Date((ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1_000_000)).toISOString();
}

/** REST JSON → message: time strings become Timestamps, nulls are dropped (absent). */
export function toMessage(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toMessage);
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null || x === undefined) continue;
    out[k] = TIME_FIELDS.has(k) && typeof x === "string" ? toTimestamp(x) : toMessage(x);
  }
  return out;
}

/** Message → REST JSON: Timestamps become RFC 3339 strings; `nullable` names absent fields to set to null. */
export function fromMessage(v: unknown, nullable: readonly string[] = []): unknown {
  if (Array.isArray(v)) return v.map((x) => fromMessage(x, nullable));
  if (v === null || typeof v !== "object" || Buffer.isBuffer(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = TIME_FIELDS.has(k) && x && typeof x === "object" && !Array.isArray(x) ? fromTimestamp(x as Timestamp) : fromMessage(x, nullable);
  }
  for (const n of nullable) if (!(n in out)) out[n] = null;
  return out;
}
