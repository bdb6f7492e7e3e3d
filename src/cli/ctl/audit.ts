/** `mcias ctl audit …` and `mcias ctl vault …`. */
import { UsageError } from "../run";
import type { AuditEvent } from "../../client/types";
import { timeFlag } from "../time";
import { group, leaf, makeClient, output, printRecord, printTable, secret } from "./common";

function printEvents(events: AuditEvent[]): void {
  printTable(events.map((e) => ({
    ...e, actor: e.actor ?? e.actor_id, target: e.target ?? e.target_id,
    // key=value pairs read better in a terminal than JSON (--json keeps the JSON).
    details: Object.entries(e.details).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : v !== null && typeof v === "object" ? JSON.stringify(v) : String(v)}`).join(" "),
  })), ["time", "type", "actor", "target", "ip", "details"]);
}

function limitArg(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^[0-9]{1,3}$/.test(s) || Number(s) < 1 || Number(s) > 500) throw new UsageError(`--${name} must be 1-500`);
  return Number(s);
}

/** `mcias ctl audit`: tail and query. */
export const auditGroup = group("audit",
  "Read the audit log (admin). Example: mcias ctl audit query --account alice --type login_fail --since 24h", {
    tail: leaf({
      name: "tail", description: "Show the latest events, oldest first",
      args: { n: { type: "string", description: "How many events (1-500, default 20)" } },
      async run(args) {
        const page = await makeClient(args).queryAudit({ limit: limitArg(args.n, "n") ?? 20 });
        output(args, page, (p) => printEvents([...p.events].reverse()));
      },
    }),
    query: leaf({
      name: "query", description: "Filter events, newest first (one page; follow next_cursor with --cursor)",
      args: {
        account: { type: "string", description: "Account id or username (actor or target)" },
        type: { type: "string", description: "Event type, e.g. login_ok (a wrong one lists the valid types)" },
        since: { type: "string", description: "Earliest time: RFC 3339, or a duration back from now (24h, 7d)" },
        until: { type: "string", description: "Latest time: RFC 3339, or a duration back from now" },
        limit: { type: "string", description: "Page size (1-500, default 100)" },
        cursor: { type: "string", description: "next_cursor of the previous page" },
      },
      async run(args) {
        const q = {
          account: args.account as string | undefined, type: args.type as string | undefined,
          since: timeFlag(args.since, "since"), until: timeFlag(args.until, "until"),
          limit: limitArg(args.limit, "limit"), cursor: args.cursor as string | undefined,
        };
        output(args, await makeClient(args).queryAudit(q), (p) => {
          printEvents(p.events);
          if (p.next_cursor) console.log(`(more: --cursor ${p.next_cursor})`);
        });
      },
    }),
  });

/** `mcias ctl vault`: status, seal, unseal. */
export const vaultGroup = group("vault",
  "Seal or unseal the server's master key. Example: mcias ctl vault unseal (passphrase prompted)", {
    status: leaf({
      name: "status", description: "Show whether the vault is sealed",
      async run(args) { output(args, await makeClient(args, { auth: false }).vaultStatus(), (v) => printRecord({ sealed: v.sealed })); },
    }),
    seal: leaf({
      name: "seal", description: "Seal the vault (admin): the server forgets its key until unsealed",
      async run(args) { output(args, await makeClient(args).seal(), (v) => printRecord({ sealed: v.sealed })); },
    }),
    unseal: leaf({
      name: "unseal", description: "Unseal the vault; the passphrase is prompted for (or read from stdin)",
      async run(args) {
        const c = makeClient(args, { auth: false });
        const pass = await secret("Passphrase: ");
        output(args, await c.unseal(pass), (v) => printRecord({ sealed: v.sealed }));
      },
    }),
  });
