import { defineCommand } from "citty";
import { configArg, withDb } from "./context";

export const pruneCommand = defineCommand({
  meta: { name: "prune", description: "Delete rows that no longer matter" },
  subCommands: {
    tokens: defineCommand({
      meta: { name: "tokens", description: "Delete the rows of expired tokens (an expired token is refused with or without its row)" },
      args: { ...configArg },
      // In batches, each its own short transaction (services/maintenance.ts): safe beside
      // a running server, whose writers get the lock between batches.
      run: ({ args }) => withDb(args.config, async (c) => {
        const r = await c.services.maintenance.pruneTokens(c.ctx);
        console.log(`deleted ${r.deleted} expired token row(s)`);
      }),
    }),
  },
});
