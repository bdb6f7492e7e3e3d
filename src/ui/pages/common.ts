/** Fragments several pages share. */
import type { AuditEventView } from "../../services/views";
import { html, type Html } from "../html";
import { badge, table, time } from "../layout";

export function auditTable(events: AuditEventView[], emptyMessage: string): Html {
  return table(["Time", "Event", "Actor", "Target", "IP", "Details"], events.map((e) => html`<tr>
<td>${time(e.time)}</td><td>${badge(e.type, e.type.includes("fail") || e.type.includes("deny") || e.type.includes("locked") ? "off" : undefined)}</td>
<td>${e.actor ?? html`<span class="muted">—</span>`}</td>
<td>${e.target_id && e.target ? html`<a href="/accounts/${e.target_id}">${e.target}</a>` : e.target ?? html`<span class="muted">—</span>`}</td>
<td class="mono nowrap">${e.ip ?? ""}</td>
<td>${details(e.details)}</td></tr>`), emptyMessage, "Audit events", true);
}

/** Audit details as readable `key: value` lines (lists joined, nested values as compact JSON). */
export function details(d: Record<string, unknown>): Html | string {
  const entries = Object.entries(d);
  if (entries.length === 0) return "";
  const show = (v: unknown): string => {
    if (v === null || v === undefined) return "—";
    if (Array.isArray(v)) return v.length ? v.map(show).join(", ") : "none";
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  };
  return html`<dl class="kv">${entries.map(([k, v]) => html`<dt>${k.replace(/_/g, " ")}</dt><dd>${show(v)}</dd>`)}</dl>`;
}
