/** `mcias ctl`: the admin CLI over REST (its own issue fills this in). */
import { defineCommand } from "citty";

export const ctlCommand = defineCommand({
  meta: { name: "ctl", description: "Administer a running MCIAS server over its REST API" },
  subCommands: {},
});
