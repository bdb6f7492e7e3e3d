import { defineCommand } from "citty";
import { UsageError } from "../run";
import { configArg, findAccount, secret, whoArgs, withDb } from "./context";

export const pgcredsCommand = defineCommand({
  meta: { name: "pgcreds", description: "Read or set a system account's Postgres credentials (needs the master key)" },
  subCommands: {
    get: defineCommand({
      meta: { name: "get", description: "Print the credentials as JSON, password included (a secret: mind your terminal and logs)" },
      args: { ...configArg, ...whoArgs },
      run: ({ args }) => withDb(args.config, async (c) => {
        const row = findAccount(c, args);
        await c.unlock();
        const cred = c.services.pgcreds.get(c.ctx, row.id);
        console.error(`warning: the output contains the Postgres password of ${row.username} in clear; this read is audited`);
        console.log(JSON.stringify(cred, null, 2));
      }),
    }),
    set: defineCommand({
      meta: { name: "set", description: "Store credentials; the password is prompted (or read from stdin), never a flag" },
      args: {
        ...configArg, ...whoArgs,
        host: { type: "string", required: true, description: "database host" },
        port: { type: "string", default: "5432", description: "port (default 5432)" },
        db: { type: "string", required: true, description: "database name" },
        user: { type: "string", required: true, description: "database user" },
      },
      run: ({ args }) => withDb(args.config, async (c) => {
        if (!/^\d{1,5}$/.test(String(args.port))) throw new UsageError("--port must be a number 1..65535");
        const row = findAccount(c, args);
        await c.unlock();
        const password = await secret("Postgres password: ", { confirm: true });
        c.services.pgcreds.set(c.ctx, row.id, {
          host: String(args.host), port: Number(args.port), database: String(args.db), username: String(args.user), password,
        });
        console.log(`Postgres credentials stored for ${row.username}`);
      }),
    }),
  },
});
