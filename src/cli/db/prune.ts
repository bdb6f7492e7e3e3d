import { defineCommand } from "citty";
import { configArg, withDb } from "./context";

export const pruneCommand = defineCommand({
  meta: { name: "prune", description: "Delete rows that no longer matter" },
  subCommands: {
    tokens: defineCommand({
      meta: { name: "tokens", description: "Delete the rows of expired tokens (an expired token is refused with or without its row)" },
      args: { ...configArg },
      run: ({ args }) => withDb(args.config, (c) => {
        console.log(`deleted ${c.services.maintenance.pruneTokens(c.ctx)} expired token row(s)`);
      }),
    }),
  },
});
