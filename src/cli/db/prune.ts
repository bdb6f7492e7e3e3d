import { defineCommand } from "citty";
import { ExitError } from "../run";
import { configArg, withDb } from "./context";

export const pruneCommand = defineCommand({
  meta: { name: "prune", description: "Delete rows that no longer matter" },
  subCommands: {
    tokens: defineCommand({
      meta: { name: "tokens", description: "Delete the rows of expired tokens (an expired token is refused with or without its row)" },
      args: { ...configArg },
      // In batches, each its own short transaction (services/maintenance.ts): safe beside
      // a running server, whose writers get the lock between batches.
      // Ctrl-C (or SIGTERM) stops after the current batch; what was deleted is audited.
      run: ({ args }) => withDb(args.config, async (c) => {
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
        let r;
        try {
          r = await c.services.maintenance.pruneTokens(c.ctx, { signal: stop.signal });
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
        }
        console.log(`deleted ${r.deleted} expired token row(s)`);
        if (!r.complete) throw new ExitError(1, "mcias db: prune stopped early; the rows deleted so far are audited (incomplete); run it again to finish");
      }),
    }),
  },
});
