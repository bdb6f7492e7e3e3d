import { t } from "elysia";
import { Closed, Time } from "./common";

export const AuditQuery = t.Object({
  account: t.Optional(t.String({ maxLength: 64, description: "account id or username (as actor or target); an unknown username is 404" })),
  type: t.Optional(t.String({ maxLength: 64, description: "audit event type; a wrong one is 400 listing the valid types" })),
  since: t.Optional(t.String({ maxLength: 40 })),
  until: t.Optional(t.String({ maxLength: 40 })),
  limit: t.Optional(t.String({ pattern: "^[0-9]{1,4}$", description: "1..500, default 100" })),
  cursor: t.Optional(t.String({ maxLength: 20 })),
}, Closed);

export const AuditEvent = t.Object({
  id: t.Number(),
  time: Time,
  type: t.String(),
  actor_id: t.Union([t.String(), t.Null()]),
  actor: t.Union([t.String(), t.Null()]),
  target_id: t.Union([t.String(), t.Null()]),
  target: t.Union([t.String(), t.Null()]),
  ip: t.Union([t.String(), t.Null()]),
  details: t.Record(t.String(), t.Unknown()),
}, { ...Closed, title: "AuditEvent" });

export const AuditPage = t.Object({
  events: t.Array(AuditEvent),
  next_cursor: t.Union([t.String(), t.Null()]),
}, { ...Closed, title: "AuditPage" });

export const AuditVerdict = t.Object({
  ok: t.Boolean({ description: "true when every row's hash matches the chain" }),
  rows: t.Number({ description: "rows checked (up to and including the first bad one)" }),
  first_bad_id: t.Optional(t.Number({ description: "the first row that does not match (changed, inserted, reordered, or the row after a deleted one)" })),
}, { ...Closed, title: "AuditVerdict" });
