import { defineCommand } from "citty";
import { configArg, findAccount, withDb } from "./context";

const who = {
  id: { type: "string", description: "account id" },
  username: { type: "string", description: "username (instead of --id)" },
} as const;

export const roleCommand = defineCommand({
  meta: { name: "role", description: "Manage roles directly in the database" },
  subCommands: {
    list: defineCommand({
      meta: { name: "list", description: "List an account's roles" },
      args: { ...configArg, ...who },
      run: ({ args }) => withDb(args.config, (c) => {
        for (const r of c.services.accounts.getRoles(c.ctx, findAccount(c, args).id)) console.log(r);
      }),
    }),
    grant: defineCommand({
      meta: { name: "grant", description: "Grant a role (e.g. --role admin)" },
      args: { ...configArg, ...who, role: { type: "string", required: true, description: "role name" } },
      run: ({ args }) => withDb(args.config, (c) => {
        console.log(c.services.accounts.grantRole(c.ctx, findAccount(c, args).id, args.role).join(","));
      }),
    }),
    revoke: defineCommand({
      meta: { name: "revoke", description: "Revoke a role" },
      args: { ...configArg, ...who, role: { type: "string", required: true, description: "role name" } },
      run: ({ args }) => withDb(args.config, (c) => {
        console.log(c.services.accounts.revokeRole(c.ctx, findAccount(c, args).id, args.role).join(",") || "(no roles)");
      }),
    }),
  },
});
