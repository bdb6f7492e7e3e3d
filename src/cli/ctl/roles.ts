/** `mcias ctl role …` and `mcias ctl tag …`: an account's roles and tags (admin). */
import { UsageError } from "../run";
import { accountFlag, accountRef, group, leaf, list, makeClient, output } from "./common";

const idArg = { id: accountFlag() } as const;
const ref = async (args: Record<string, unknown>) => { const c = makeClient(args); return { c, id: await accountRef(c, args.id) }; };

const printSet = (key: "roles" | "tags") => (v: Record<string, string[]>) => console.log(v[key]!.length ? v[key]!.join("\n") : "(none)");

/** `--roles ""` is allowed (clear the set); an absent flag is a usage error. */
function setArg(args: Record<string, unknown>, name: string): string[] {
  if (args[name] === undefined || args[name] === true) throw new UsageError(`missing required flag --${name} (use --${name} "" to clear)`);
  return list(args[name]);
}

/** `mcias ctl role`: list, set, grant, revoke. */
export const roleGroup = group("role",
  "Read and change an account's roles (admin). Example: mcias ctl role grant --id alice --role admin", {
    list: leaf({ name: "list", description: "Show the account's roles", args: idArg,
      async run(args) { const { c, id } = await ref(args); output(args, { roles: await c.getRoles(id) }, printSet("roles")); } }),
    set: leaf({ name: "set", description: "Replace the account's roles",
      args: { ...idArg, roles: { type: "string", description: "Comma-separated roles (required; \"\" clears)" } },
      async run(args) {
        const roles = setArg(args, "roles");
        const { c, id } = await ref(args);
        output(args, { roles: await c.setRoles(id, roles) }, printSet("roles"));
      } }),
    grant: leaf({ name: "grant", description: "Add one role",
      args: { ...idArg, role: { type: "string", required: true, description: "Role to add" } },
      async run(args) { const { c, id } = await ref(args); output(args, { roles: await c.grantRole(id, String(args.role)) }, printSet("roles")); } }),
    revoke: leaf({ name: "revoke", description: "Remove one role",
      args: { ...idArg, role: { type: "string", required: true, description: "Role to remove" } },
      async run(args) { const { c, id } = await ref(args); output(args, { roles: await c.revokeRole(id, String(args.role)) }, printSet("roles")); } }),
  });

/** `mcias ctl tag`: list, set. */
export const tagGroup = group("tag",
  "Read and replace an account's tags (admin). Example: mcias ctl tag set --id alice --tags env:prod,team:web", {
    list: leaf({ name: "list", description: "Show the account's tags", args: idArg,
      async run(args) { const { c, id } = await ref(args); output(args, { tags: await c.getTags(id) }, printSet("tags")); } }),
    set: leaf({ name: "set", description: "Replace the account's tags",
      args: { ...idArg, tags: { type: "string", description: "Comma-separated tags, key:value or plain (required; \"\" clears)" } },
      async run(args) {
        const tags = setArg(args, "tags");
        const { c, id } = await ref(args);
        output(args, { tags: await c.setTags(id, tags) }, printSet("tags"));
      } }),
  });
