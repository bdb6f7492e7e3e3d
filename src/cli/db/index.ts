/** `mcias db`: the offline break-glass tool, working on the database file directly. */
import { defineCommand } from "citty";
import { accountCommand } from "./account";
import { roleCommand } from "./role";
import { schemaCommand } from "./schema";

export const dbCommand = defineCommand({
  meta: { name: "db", description: "Break-glass maintenance directly on the database (works with the server up or down)" },
  subCommands: { schema: schemaCommand, account: accountCommand, role: roleCommand },
});
