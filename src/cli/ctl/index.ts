/** `mcias ctl`: the admin CLI over REST, built on the client library (SPEC §9). */
import { defineCommand } from "citty";
import { accountGroup } from "./account";
import { auditGroup, vaultGroup } from "./audit";
import { authGroup } from "./auth";
import { oidcGroup } from "./oidc";
import { pgcredsGroup } from "./pgcreds";
import { policyGroup } from "./policy";
import { roleGroup, tagGroup } from "./roles";
import { delegateGroup, tokenGroup } from "./tokens";
import { globalArgs } from "./common";

/** The `ctl` command tree, run by the strict runner of `src/cli/run.ts`. */
export const ctlCommand = defineCommand({
  meta: {
    name: "ctl",
    description: "Administer a running MCIAS server over its REST API.\n" +
      "Every command takes --server URL (MCIAS_SERVER), --token T (MCIAS_TOKEN, else the token saved by `auth login`), " +
      "--cacert PEM (MCIAS_CACERT) and --json, before or after the subcommand. `auth login --server URL --cacert PEM` " +
      "saves the server and CA beside the token, so later commands need neither.\n" +
      "Exit codes: 0 ok, 1 refused by the server, 2 usage. `mcias ctl <group> --help` lists a group's subcommands with all their flags.\n" +
      "Example: mcias ctl auth login --server https://127.0.0.1:8443 --cacert mcias-data/server.crt",
  },
  args: globalArgs,
  subCommands: {
    auth: authGroup, account: accountGroup, role: roleGroup, tag: tagGroup, token: tokenGroup,
    delegate: delegateGroup, pgcreds: pgcredsGroup, policy: policyGroup, audit: auditGroup, vault: vaultGroup,
    oidc: oidcGroup,
  },
});
