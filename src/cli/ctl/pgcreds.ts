/** `mcias ctl pgcreds …`: a system account's Postgres credentials and read grants. */
import { UsageError } from "../run";
import { accountFlag, accountRef, group, leaf, makeClient, output, printRecord, printTable, secret } from "./common";

const idArg = { id: accountFlag("System account") } as const;
const granteeArg = { grantee: accountFlag("Grantee account") } as const;

/** `mcias ctl pgcreds`: list, get, set, grants, grant, revoke. */
export const pgcredsGroup = group("pgcreds",
  "Store and read Postgres credentials of system accounts. Example: mcias ctl pgcreds set --id ci-bot --host db --port 5432 --db app --user app (password prompted)", {
    list: leaf({
      name: "list", description: "List every credential you may read (no passwords)",
      async run(args) { output(args, await makeClient(args).listPgCreds(), (v) => printTable(v as never, ["account_id", "service", "host", "port", "database", "username"])); },
    }),
    get: leaf({
      name: "get", description: "Show one credential (with its password if you may read it: the output is secret)", args: idArg,
      async run(args) { const c = makeClient(args); output(args, await c.getPgCreds(await accountRef(c, args.id)), (v) => printRecord({ ...v })); },
    }),
    set: leaf({
      name: "set", description: "Store a credential (admin); the password is prompted for (twice)",
      args: {
        ...idArg,
        host: { type: "string", required: true, description: "Postgres host" },
        port: { type: "string", required: true, description: "Postgres port (1-65535)" },
        db: { type: "string", required: true, description: "Database name" },
        user: { type: "string", required: true, description: "Postgres user name" },
      },
      async run(args) {
        const port = Number(args.port);
        if (!/^[0-9]{1,5}$/.test(String(args.port)) || port < 1 || port > 65535) throw new UsageError("--port must be 1-65535");
        const c = makeClient(args);
        const id = await accountRef(c, args.id);
        const password = await secret("Postgres password: ", { confirm: true });
        await c.setPgCreds(id, { host: String(args.host), port, database: String(args.db), username: String(args.user), password });
        if (!args.json) console.log("credential stored");
      },
    }),
    grants: leaf({
      name: "grants", description: "List who was granted read access to the credential's metadata", args: idArg,
      async run(args) {
        const c = makeClient(args);
        output(args, await c.listPgCredsAccess(await accountRef(c, args.id)), (v) => printTable(v as never, ["grantee_id", "username", "granted_at"]));
      },
    }),
    grant: leaf({
      name: "grant", description: "Let an account read the credential's metadata (never the password)", args: { ...idArg, ...granteeArg },
      async run(args) {
        const c = makeClient(args);
        const r = await c.grantPgCredsAccess(await accountRef(c, args.id), await accountRef(c, args.grantee, "grantee"));
        output(args, r, () => console.log(`${args.grantee} may now read the metadata of ${args.id}'s credential`));
      },
    }),
    revoke: leaf({
      name: "revoke", description: "Withdraw a read grant", args: { ...idArg, ...granteeArg },
      async run(args) {
        const c = makeClient(args);
        await c.revokePgCredsAccess(await accountRef(c, args.id), await accountRef(c, args.grantee, "grantee"));
        if (!args.json) console.log(`grant for ${args.grantee} removed`);
      },
    }),
  });
