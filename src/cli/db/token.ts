import { defineCommand } from "citty";
import { configArg, findAccount, whoArgs, withDb } from "./context";

export const tokenCommand = defineCommand({
  meta: { name: "token", description: "List and revoke tokens directly in the database (effective on the server's next request)" },
  subCommands: {
    list: defineCommand({
      meta: { name: "list", description: "An account's tokens: jti, issued, expires, state" },
      args: { ...configArg, ...whoArgs, json: { type: "boolean", description: "JSON lines" } },
      run: ({ args }) => withDb(args.config, (c) => {
        const now = Date.now();
        for (const t of c.services.tokens.list(c.ctx, findAccount(c, args).id)) {
          if (args.json) { console.log(JSON.stringify(t)); continue; }
          const state = t.revoked_at ? `revoked ${t.revoked_at}` : Date.parse(t.expires_at) <= now ? "expired" : "live";
          console.log([t.jti, t.issued_at, t.expires_at, state].join("\t"));
        }
      }),
    }),
    revoke: defineCommand({
      meta: { name: "revoke", description: "Revoke one token by its jti" },
      args: { ...configArg, jti: { type: "string", required: true, description: "token id (jti)" } },
      run: ({ args }) => withDb(args.config, (c) => {
        c.services.tokens.revoke(c.ctx, String(args.jti));
        console.log(`revoked ${args.jti}`);
      }),
    }),
    "revoke-all": defineCommand({
      meta: { name: "revoke-all", description: "Revoke every live token of an account" },
      args: { ...configArg, ...whoArgs },
      run: ({ args }) => withDb(args.config, (c) => {
        const row = findAccount(c, args);
        const n = c.services.maintenance.revokeAllTokens(c.ctx, row.id);
        console.log(`revoked ${n} token(s) of ${row.username}`);
      }),
    }),
  },
});
