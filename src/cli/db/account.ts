import { defineCommand } from "citty";
import type { AccountView } from "../../services/views";
import { printRecord, printTable } from "../output";
import { UsageError } from "../run";
import { configArg, findAccount, secret, whoArgs, withDb } from "./context";

const row = (a: AccountView) => ({ ...a, type: a.account_type, totp: a.totp_enabled ? "yes" : "no" });
const json = { json: { type: "boolean", description: "JSON output (one object per line for lists)" } } as const;

export const accountCommand = defineCommand({
  meta: { name: "account", description: "Manage accounts directly in the database" },
  subCommands: {
    list: defineCommand({
      meta: { name: "list", description: "List every account, deleted ones included (id, username, type, status, roles, totp)" },
      args: { ...configArg, ...json },
      run: ({ args }) => withDb(args.config, (c) => {
        const all = c.store.accounts.list({ includeDeleted: true }).map((row) => c.services.accounts.get(c.ctx, row.id));
        if (args.json) for (const a of all) console.log(JSON.stringify(a));
        else printTable(all.map(row), ["id", "username", "type", "status", "roles", "totp"]);
      }),
    }),
    get: defineCommand({
      meta: { name: "get", description: "Show one account as JSON" },
      args: { ...configArg, ...whoArgs },
      run: ({ args }) => withDb(args.config, (c) => {
        console.log(JSON.stringify(c.services.accounts.get(c.ctx, findAccount(c, args).id), null, 2));
      }),
    }),
    create: defineCommand({
      meta: { name: "create", description: "Create an account; a human's password is prompted (or read from stdin) unless --no-password" },
      args: {
        ...configArg,
        username: { type: "string", required: true, description: "username" },
        type: { type: "enum", options: ["human", "system"], default: "human", description: "human | system" },
        email: { type: "string", description: "email address (humans only)" },
        "display-name": { type: "string", description: "display name (humans only)" },
        password: { type: "boolean", default: true, description: "A human without a password (to be invited, or given one later with set-password)" },
        ...json,
      },
      run: ({ args }) => withDb(args.config, async (c) => {
        const type = String(args.type) as "human" | "system";
        const password = type === "human" && args.password !== false ? await secret("New password: ", { confirm: true }) : undefined;
        const a = await c.services.accounts.create(c.ctx, {
          username: String(args.username), account_type: type, password,
          ...(args.email ? { email: String(args.email) } : {}), ...(args["display-name"] ? { display_name: String(args["display-name"]) } : {}),
        });
        if (args.json) console.log(JSON.stringify(a));
        else {
          printRecord({
            id: a.id, username: a.username, type: a.account_type, status: a.status, roles: a.roles,
            ...(a.email ? { email: a.email } : {}), ...(a.display_name ? { display_name: a.display_name } : {}),
            ...(type === "human" && !password ? { password: "none (invite the account, or run mcias db account invite)" } : {}),
          });
        }
      }),
    }),
    "set-password": defineCommand({
      meta: { name: "set-password", description: "Set a human account's password (prompted, or read from stdin); clears lockout and revokes its tokens" },
      args: { ...configArg, ...whoArgs },
      run: ({ args }) => withDb(args.config, async (c) => {
        const row = findAccount(c, args);
        const password = await secret("New password: ", { confirm: true });
        await c.services.accounts.setPassword(c.ctx, row.id, password);
        console.log(`password set for ${row.username}; its tokens are revoked`);
      }),
    }),
    "set-status": defineCommand({
      meta: { name: "set-status", description: "Set status active (clears lockout) or inactive (revokes every token)" },
      args: { ...configArg, ...whoArgs, status: { type: "string", required: true, description: "active | inactive" } },
      run: ({ args }) => withDb(args.config, (c) => {
        const status = String(args.status);
        if (status !== "active" && status !== "inactive") throw new UsageError("--status must be active or inactive");
        const a = c.services.accounts.updateStatus(c.ctx, findAccount(c, args).id, status);
        console.log(`${a.username}: ${a.status}`);
      }),
    }),
    "reset-totp": defineCommand({
      meta: { name: "reset-totp", description: "Remove an account's TOTP enrollment (login then needs only the password)" },
      args: { ...configArg, ...whoArgs },
      run: ({ args }) => withDb(args.config, (c) => {
        const row = findAccount(c, args);
        c.services.accounts.removeTotp(c.ctx, row.id);
        console.log(`TOTP removed for ${row.username}`);
      }),
    }),
    invite: defineCommand({
      meta: {
        name: "invite",
        description: "Print a single-use invite link (a reset link if the account has a password); any earlier link stops working",
      },
      args: { ...configArg, ...whoArgs },
      run: ({ args }) => withDb(args.config, (c) => {
        const row = findAccount(c, args);
        const link = c.services.invites.create(c.ctx, row.id);
        // stdout carries the link alone (URL=$(mcias db account invite …)); the rest goes to stderr.
        console.log(link.url);
        console.error(`single-use link for ${row.username}, valid until ${link.expires_at}; send it over a channel you trust`);
      }),
    }),
    recover: defineCommand({
      meta: {
        name: "recover",
        description: "The way back in: new random password (printed once, on stdout only), account active, lockout cleared, tokens revoked",
      },
      args: {
        ...configArg, ...whoArgs,
        admin: { type: "boolean", description: "also grant the admin role" },
        "reset-totp": { type: "boolean", description: "also remove TOTP (the authenticator is lost)" },
      },
      run: ({ args }) => withDb(args.config, async (c) => {
        if (!args.id && !args.username) throw new UsageError("pass --username U (or --id ID)");
        const row = findAccount(c, args);
        const r = await c.services.maintenance.recover(c.ctx, row.id, { admin: args.admin === true, resetTotp: args["reset-totp"] === true });
        // stdout carries the password alone (PW=$(mcias db account recover …)); the rest goes to stderr.
        console.log(r.password);
        const notes = [`account ${r.account.username} recovered: status active, lockout cleared, every token revoked`];
        if (args.admin) notes.push("admin granted");
        if (r.account.totp_enabled) notes.push("TOTP still required at login (add --reset-totp if the authenticator is lost)");
        console.error(`${notes.join("; ")}.\nThe new password above is shown once and stored nowhere in clear: log in and change it.`);
      }),
    }),
  },
});
