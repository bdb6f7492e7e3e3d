/** `mcias ctl token …` and `mcias ctl delegate …`: service tokens and who may manage them. */
import { ExitError, UsageError } from "../run";
import { accountFlag, accountRef, group, leaf, makeClient, output, printRecord, printTable, secret } from "./common";

const idArg = { id: accountFlag() } as const;
const granteeArg = { grantee: accountFlag("Grantee account") } as const;

/** `mcias ctl token`: issue, revoke, list, validate. */
export const tokenGroup = group("token",
  "Issue, list, revoke and check tokens. Example: mcias ctl token issue --id ci-bot (prints the new token once)", {
    issue: leaf({
      name: "issue", description: "Issue a system account's token (printed once); its previous token is revoked", args: idArg,
      async run(args) {
        const c = makeClient(args);
        output(args, await c.issueServiceToken(await accountRef(c, args.id)), (v) => printRecord({ token: v.token, jti: v.jti, expires_at: v.expires_at }));
      },
    }),
    revoke: leaf({
      name: "revoke", description: "Revoke a token by its jti",
      args: { jti: { type: "string", required: true, description: "The token's jti (see token list)" } },
      async run(args) {
        await makeClient(args).revokeToken(String(args.jti));
        if (!args.json) console.log(`token ${args.jti} revoked`);
      },
    }),
    list: leaf({
      name: "list", description: "List an account's tokens (metadata only, never the tokens)", args: idArg,
      async run(args) {
        const c = makeClient(args);
        output(args, await c.listTokens(await accountRef(c, args.id)), (v) => printTable(v as never, ["jti", "issued_at", "expires_at", "revoked_at"]));
      },
    }),
    // Here --token is the token to check, not a credential: validation needs none.
    validate: leaf({
      name: "validate", description: "Check a token (--token T, or --token - to read it from stdin); exit 1 when invalid",
      async run(args) {
        let token = typeof args.token === "string" ? args.token : process.env.MCIAS_TOKEN;
        if (token === "-") token = (await secret("Token: ")).trim();
        if (!token) throw new UsageError("missing required flag --token (the token to validate; - reads stdin)");
        const v = await makeClient({ ...args, token: undefined }, { auth: false }).validateToken(token);
        output(args, v, (r) => printRecord(r.valid ? { valid: true, sub: r.sub, username: r.username, account_type: r.account_type, roles: r.roles, jti: r.jti, issued_at: r.issued_at, expires_at: r.expires_at } : { valid: false }));
        if (!v.valid) throw new ExitError(1, "");
      },
    }),
  });

/** `mcias ctl delegate`: list, grant, revoke. */
export const delegateGroup = group("delegate",
  "Let a human issue and revoke a system account's token (admin). Example: mcias ctl delegate grant --id ci-bot --grantee alice", {
    list: leaf({
      name: "list", description: "List the system account's delegates", args: idArg,
      async run(args) {
        const c = makeClient(args);
        output(args, await c.listDelegates(await accountRef(c, args.id)), (v) => printTable(v as never, ["grantee_id", "username", "granted_at"]));
      },
    }),
    grant: leaf({
      name: "grant", description: "Make an account a delegate",
      args: { ...idArg, ...granteeArg },
      async run(args) {
        const c = makeClient(args);
        const r = await c.grantDelegate(await accountRef(c, args.id), await accountRef(c, args.grantee, "grantee"));
        output(args, r, () => console.log(`${args.grantee} may now manage the token of ${args.id}`));
      },
    }),
    revoke: leaf({
      name: "revoke", description: "Remove a delegate",
      args: { ...idArg, ...granteeArg },
      async run(args) {
        const c = makeClient(args);
        await c.revokeDelegate(await accountRef(c, args.id), await accountRef(c, args.grantee, "grantee"));
        if (!args.json) console.log(`delegate ${args.grantee} removed`);
      },
    }),
  });
