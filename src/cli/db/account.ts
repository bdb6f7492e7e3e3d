import { defineCommand } from "citty";
import { readSecret } from "../prompt";
import { configArg, findAccount, withDb } from "./context";

const who = {
  id: { type: "string", description: "account id" },
  username: { type: "string", description: "username (instead of --id)" },
} as const;

export const accountCommand = defineCommand({
  meta: { name: "account", description: "Manage accounts directly in the database" },
  subCommands: {
    list: defineCommand({
      meta: { name: "list", description: "List accounts (including deleted)" },
      args: { ...configArg },
      run: ({ args }) => withDb(args.config, (c) => {
        for (const a of c.store.accounts.list({ includeDeleted: true })) {
          console.log([a.id, a.username, a.account_type, a.status, c.store.accounts.roles(a.id).join(",") || "-"].join("\t"));
        }
      }),
    }),
    create: defineCommand({
      meta: { name: "create", description: "Create an account; a human's password is prompted (or read from stdin)" },
      args: {
        ...configArg,
        username: { type: "string", required: true, description: "username" },
        type: { type: "enum", options: ["human", "system"], default: "human", description: "human | system" },
      },
      run: ({ args }) => withDb(args.config, async (c) => {
        const type = String(args.type) as "human" | "system";
        const password = type === "human" ? await readSecret("New password: ", { confirm: true }) : undefined;
        const a = await c.services.accounts.create(c.ctx, { username: String(args.username), account_type: type, password });
        console.log(a.id);
      }),
    }),
    "set-password": defineCommand({
      meta: { name: "set-password", description: "Set a human account's password (prompted, or read from stdin); revokes its tokens" },
      args: { ...configArg, ...who },
      run: ({ args }) => withDb(args.config, async (c) => {
        const row = findAccount(c, args);
        const password = await readSecret("New password: ", { confirm: true });
        await c.services.accounts.setPassword(c.ctx, row.id, password);
        console.log(`password set for ${row.username}`);
      }),
    }),
  },
});
