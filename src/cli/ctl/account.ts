/** `mcias ctl account …`: account CRUD (admin). */
import type { Account } from "../../client/types";
import { printAccount } from "./auth";
import { UsageError } from "../run";
import { accountFlag, accountRef, group, leaf, list, makeClient, output, printTable, secret } from "./common";

const idArg = { id: accountFlag() } as const;

/** Prompts for a new password (twice in a terminal). */
async function newPassword(prompt: string): Promise<string> {
  return secret(prompt, { confirm: true });
}

/** Accounts as an aligned table. */
export function printAccounts(rows: Account[]): void {
  printTable(rows.map((a) => ({ ...a, type: a.account_type, totp: a.totp_enabled ? "yes" : "no" })),
    ["id", "username", "type", "status", "roles", "tags", "totp"]);
}

const create = leaf({
  name: "create",
  description: "Create an account; a human's password is prompted for (twice) unless --no-password",
  args: {
    username: { type: "string", required: true, description: "Username (lower case, a-z 0-9 . _ -)" },
    type: { type: "enum", options: ["human", "system"], required: true, description: "human or system" },
    roles: { type: "string", description: "Initial roles, comma-separated" },
    email: { type: "string", description: "Email address (humans only)" },
    "display-name": { type: "string", description: "Display name (humans only)" },
    password: { type: "boolean", default: true, description: "A human without a password (to be invited, or given one later with set-password)" },
  },
  async run(args) {
    const c = makeClient(args);
    const type = args.type as "human" | "system";
    const password = type === "human" && args.password !== false ? await newPassword("Password for the new account: ") : undefined;
    const roles = args.roles === undefined ? undefined : list(args.roles);
    const a = await c.createAccount({ username: String(args.username), account_type: type, ...(password ? { password } : {}), ...(roles ? { roles } : {}),
      ...(args.email ? { email: String(args.email) } : {}), ...(args["display-name"] ? { display_name: String(args["display-name"]) } : {}) });
    output(args, a, printAccount);
  },
});

const listCmd = leaf({
  name: "list",
  description: "List accounts (deleted ones only with --status deleted)",
  args: {
    status: { type: "enum", options: ["active", "inactive", "deleted"], description: "Only accounts in this state" },
    type: { type: "enum", options: ["human", "system"], description: "Only accounts of this type" },
  },
  async run(args) {
    const rows = await makeClient(args).listAccounts({
      status: args.status as Account["status"] | undefined, account_type: args.type as Account["account_type"] | undefined,
    });
    output(args, rows, printAccounts);
  },
});

const get = leaf({
  name: "get", description: "Show one account", args: idArg,
  async run(args) { const c = makeClient(args); output(args, await c.getAccount(await accountRef(c, args.id)), printAccount); },
});

const update = leaf({
  name: "update",
  description: "Activate or deactivate an account (inactive revokes all its tokens), or set its email or display name (\"\" clears)",
  args: {
    ...idArg,
    status: { type: "enum", options: ["active", "inactive"], description: "active or inactive" },
    email: { type: "string", description: "Email address (\"\" clears it)" },
    "display-name": { type: "string", description: "Display name (\"\" clears it)" },
  },
  async run(args) {
    const req: { status?: "active" | "inactive"; email?: string | null; display_name?: string | null } = {};
    if (args.status !== undefined) req.status = args.status as "active" | "inactive";
    if (args.email !== undefined) req.email = args.email === "" ? null : String(args.email);
    if (args["display-name"] !== undefined) req.display_name = args["display-name"] === "" ? null : String(args["display-name"]);
    if (Object.keys(req).length === 0) throw new UsageError("pass --status, --email or --display-name");
    const c = makeClient(args);
    output(args, await c.updateAccount(await accountRef(c, args.id), req), printAccount);
  },
});

const del = leaf({
  name: "delete", description: "Soft-delete an account: tokens revoked, username stays reserved", args: idArg,
  async run(args) {
    const c = makeClient(args);
    await c.deleteAccount(await accountRef(c, args.id));
    if (!args.json) console.log(`account ${args.id} deleted`);
  },
});

const setPassword = leaf({
  name: "set-password", description: "Set an account's password (prompted twice); all its tokens are revoked", args: idArg,
  async run(args) {
    const c = makeClient(args);
    const id = await accountRef(c, args.id);
    await c.setAccountPassword(id, await newPassword("New password: "));
    if (!args.json) console.log("password set; the account's tokens were revoked");
  },
});

const removeTotp = leaf({
  name: "remove-totp", description: "Remove an account's TOTP enrollment", args: idArg,
  async run(args) {
    const c = makeClient(args);
    await c.removeTotp(await accountRef(c, args.id));
    if (!args.json) console.log("TOTP removed");
  },
});

const inviteCmd = leaf({
  name: "invite",
  description: "Print a single-use invite link for a human account (a reset link if it has a password); any earlier link stops working",
  args: idArg,
  async run(args) {
    const c = makeClient(args);
    const link = await c.createInvite(await accountRef(c, args.id));
    output(args, link, (v) => {
      console.log(v.url);
      console.error(`valid until ${v.expires_at}; single use. Send it over a channel you trust.`);
    });
  },
});

/** `mcias ctl account`: create, list, get, update, delete, set-password, remove-totp. */
export const accountGroup = group("account",
  "Create, list, change and delete accounts (admin). Example: mcias ctl account create --username ci-bot --type system",
  { create, list: listCmd, get, update, delete: del, "set-password": setPassword, "remove-totp": removeTotp, invite: inviteCmd });
