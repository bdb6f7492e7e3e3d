/** `mcias db`: the offline break-glass tool, working on the database file directly (SPEC §10). */
import { defineCommand } from "citty";
import { accountCommand } from "./account";
import { auditCommand } from "./audit";
import { backupCommand } from "./backup";
import { pgcredsCommand } from "./pgcreds";
import { pruneCommand } from "./prune";
import { rekeyCommand } from "./rekey";
import { roleCommand } from "./role";
import { schemaCommand } from "./schema";
import { tokenCommand } from "./token";
import { configArg } from "./context";

export const dbCommand = defineCommand({
  meta: {
    name: "db",
    description: "Break-glass maintenance directly on the database (works with the server up or down).\n" +
      "--config FILE may come before or after the subcommand. Wherever a command names an account, --id takes an id or a username.",
  },
  args: configArg,
  subCommands: {
    schema: schemaCommand, account: accountCommand, role: roleCommand, token: tokenCommand, prune: pruneCommand,
    audit: auditCommand, pgcreds: pgcredsCommand, backup: backupCommand, rekey: rekeyCommand,
  },
});
