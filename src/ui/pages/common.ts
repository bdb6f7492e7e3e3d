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
<td>${Object.keys(e.details).length ? html`<code>${JSON.stringify(e.details)}</code>` : ""}</td></tr>`), emptyMessage, "Audit events", true);
}
