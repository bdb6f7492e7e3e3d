import { defineCommand } from "citty";
import { configArg, findAccount, whoArgs, withDb } from "./context";

const roleArg = { role: { type: "string", required: true, description: "role name" } } as const;

export const roleCommand = defineCommand({
  meta: { name: "role", description: "Manage roles directly in the database" },
  subCommands: {
    list: defineCommand({
      meta: { name: "list", description: "List an account's roles, one per line" },
      args: { ...configArg, ...whoArgs },
      run: ({ args }) => withDb(args.config, (c) => {
        for (const r of c.services.accounts.getRoles(c.ctx, findAccount(c, args).id)) console.log(r);
      }),
    }),
    grant: defineCommand({
      meta: { name: "grant", description: "Grant a role (e.g. --role admin); prints the roles after" },
      args: { ...configArg, ...whoArgs, ...roleArg },
      run: ({ args }) => withDb(args.config, (c) => {
        console.log(c.services.accounts.grantRole(c.ctx, findAccount(c, args).id, String(args.role)).join(","));
      }),
    }),
    revoke: defineCommand({
      meta: { name: "revoke", description: "Revoke a role (refused for the last active admin); prints the roles after" },
      args: { ...configArg, ...whoArgs, ...roleArg },
      run: ({ args }) => withDb(args.config, (c) => {
        console.log(c.services.accounts.revokeRole(c.ctx, findAccount(c, args).id, String(args.role)).join(",") || "(no roles)");
      }),
    }),
  },
});
