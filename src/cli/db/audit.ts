import { defineCommand } from "citty";
import type { AuditQuery } from "../../services/audit";
import type { AuditEventView } from "../../services/views";
import { ExitError, UsageError } from "../run";
import { timeFlag as time } from "../time";
import { configArg, resolveAccount, withDb, type DbContext } from "./context";

const PAGE = 500;

const text = (e: AuditEventView) =>
  [e.time, e.type, `actor=${e.actor ?? "-"}`, `target=${e.target ?? "-"}`, `ip=${e.ip ?? "-"}`, JSON.stringify(e.details)].join("\t");

/** Newest-first pages of up to `max` events matching `q`, returned oldest first (log order). */
function collect(c: DbContext, q: AuditQuery, max: number): AuditEventView[] {
  const out: AuditEventView[] = [];
  let cursor: string | undefined;
  while (out.length < max) {
    const page = c.services.auditQuery.query(c.ctx, { ...q, limit: Math.min(PAGE, max - out.length), cursor });
    out.push(...page.events);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return out.reverse();
}

function count(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^[1-9]\d{0,6}$/.test(v)) throw new UsageError(`--${name} must be a positive integer`);
  return Number(v);
}

const jsonArg = { json: { type: "boolean", description: "JSON lines: one event object per line" } } as const;
const print = (events: AuditEventView[], json: boolean | undefined) => {
  for (const e of events) console.log(json ? JSON.stringify(e) : text(e));
};

export const auditCommand = defineCommand({
  meta: { name: "audit", description: "Read the audit log (oldest first)" },
  subCommands: {
    verify: defineCommand({
      meta: { name: "verify", description: "Check the audit log's hash chain; exit 0 intact, 1 with the first bad row" },
      args: { ...configArg },
      run: ({ args }) => withDb(args.config, (c) => {
        const v = c.services.auditQuery.verify(c.ctx);
        console.log(JSON.stringify(v));
        if (!v.ok) throw new ExitError(1, `mcias db: audit chain broken at row ${v.first_bad_id} (${v.rows} rows checked)`);
      }),
    }),
    tail: defineCommand({
      meta: { name: "tail", description: "The last N events (default 20)" },
      args: { ...configArg, ...jsonArg, n: { type: "string", description: "how many events" } },
      run: ({ args }) => withDb(args.config, (c) => print(collect(c, {}, count(args.n, "n", 20)), args.json)),
    }),
    query: defineCommand({
      meta: { name: "query", description: "Events matching every given filter (AND)" },
      args: {
        ...configArg, ...jsonArg,
        account: { type: "string", description: "account id or username (as actor or target)" },
        type: { type: "string", description: "event type, e.g. login_fail" },
        since: { type: "string", description: "RFC 3339 time, or a duration back from now (24h, 7d)" },
        until: { type: "string", description: "RFC 3339 time, or a duration back from now" },
        limit: { type: "string", description: "at most this many (newest kept); default: all" },
      },
      run: ({ args }) => withDb(args.config, (c) => {
        const account = args.account === undefined ? undefined : resolveAccount(c, args.account);
        const q: AuditQuery = { account, type: args.type, since: time(args.since, "since"), until: time(args.until, "until") };
        print(collect(c, q, count(args.limit, "limit", Number.MAX_SAFE_INTEGER)), args.json);
      }),
    }),
  },
});
