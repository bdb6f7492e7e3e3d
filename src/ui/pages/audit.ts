/** The audit log with filters and cursor paging. */
import { AppError } from "../../errors";
import { AUDIT_EVENT_TYPES } from "../../services/audit";
import { html } from "../html";
import { field, select } from "../layout";
import { type Route, type UiDeps } from "../routes";
import { auditTable } from "./common";


/** datetime-local ("2026-11-23T21:26") is read as UTC; a full RFC 3339 time passes as is. */
function toRfc3339(v: string): string | undefined {
  if (v === "") return undefined;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v)) return `${v}:00Z`;
  return v;
}

export function auditRoutes({ s }: UiDeps): Route[] {
  return [{
    // The chain indicator (SPEC §18): a walk of the whole log, so on request, not on every page.
    method: "GET", path: "/audit/verify", opts: { back: "/audit" },
    handler: (rc) => {
      const v = s.auditQuery.verify(rc.ctx);
      const verdict = v.ok
        ? html`<p class="notice" role="status">Intact: all ${String(v.rows)} rows match their hash chain.</p>`
        : html`<p class="error" role="alert">Broken: row ${String(v.first_bad_id)} does not match the chain (${String(v.rows)} rows checked). The audit log was changed outside MCIAS: see docs/RUNBOOK.md.</p>`;
      return rc.render("Audit chain", html`<h1>Audit chain</h1>${verdict}<p><a href="/audit">Back to the audit log</a></p>`,
        { current: "/audit", status: 200 });
    },
  }, {
    method: "GET", path: "/audit", opts: { back: "/audit" },
    handler: (rc) => {
      const q = rc.url.searchParams;
      const accountIn = (q.get("account") ?? "").trim();
      const type = (q.get("type") ?? "").trim();
      const since = (q.get("since") ?? "").trim();
      const until = (q.get("until") ?? "").trim();
      const cursor = (q.get("cursor") ?? "").trim();
      const limitIn = (q.get("limit") ?? "").trim();
      const limit = /^\d{1,3}$/.test(limitIn) ? Number(limitIn) : 50;
      let account: string | undefined;
      let error: string | null = null;
      if (accountIn !== "") {
        try {
          account = s.accounts.resolve(rc.ctx, accountIn);
        } catch (e) {
          if (!(e instanceof AppError) || e.code !== "not_found") throw e;
          error = "No account with that username.";
        }
      }
      let result: ReturnType<typeof s.auditQuery.query> = { events: [], next_cursor: null };
      if (!error) {
        try {
          result = s.auditQuery.query(rc.ctx, {
            account, type: type || undefined, since: toRfc3339(since), until: toRfc3339(until), limit, cursor: cursor || undefined,
          });
        } catch (e) {
          if (!(e instanceof AppError) || e.code !== "bad_request") throw e;
          error = e.message;
        }
      }
      const keep = new URLSearchParams();
      for (const [k, v] of [["account", accountIn], ["type", type], ["since", since], ["until", until], ["limit", limitIn]]) if (v) keep.set(k!, v!);
      const next = result.next_cursor ? `/audit?${new URLSearchParams([...keep, ["cursor", result.next_cursor]])}` : null;
      const first = cursor ? `/audit?${keep}` : null;
      return rc.render("Audit log", html`<h1>Audit log</h1>
<p><a href="/audit/verify">Verify the hash chain</a></p>
<form method="get" action="/audit" class="inline" aria-label="Filter events">
${field({ name: "account", label: "Account", value: accountIn, hint: "username or id", id: "audit-account", autocomplete: "off" })}
${select({ name: "type", label: "Event type", value: type, options: [["", "any"], ...AUDIT_EVENT_TYPES.map((t): [string, string] => [t, t])], id: "audit-type" })}
${field({ name: "since", label: "Since (UTC)", type: "datetime-local", value: since, id: "audit-since" })}
${field({ name: "until", label: "Until (UTC)", type: "datetime-local", value: until, id: "audit-until" })}
<button type="submit" class="secondary">Filter</button></form>
${auditTable(result.events, cursor ? "No older events." : "No events match these filters.")}
<nav class="pager" aria-label="Pages">${first ? html`<a href="${first}">← Newest</a>` : ""}${next ? html`<a href="${next}" rel="next">Older →</a>` : ""}</nav>`,
      { current: "/audit", status: error ? 400 : 200, error });
    },
  }];
}
