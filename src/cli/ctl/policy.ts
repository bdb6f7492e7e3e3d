/** `mcias ctl policy …`: ABAC rules (JSON from --file or stdin) and evaluation. */
import { UsageError } from "../run";
import type { CreatePolicyRuleRequest, EvaluateRequest, PolicyRule, UpdatePolicyRuleRequest } from "../../client/types";
import { accountRef, group, leaf, makeClient, need, output, printRecord, printTable, readJsonInput } from "./common";

const ruleId = { id: { type: "string", required: true, description: "Rule id (integer)" } } as const;
const fileArg = { file: { type: "string", description: "JSON file (default: standard input)" } } as const;

function intId(v: unknown): number {
  const s = String(v);
  if (!/^-?[0-9]{1,9}$/.test(s)) throw new UsageError("--id must be an integer");
  return Number(s);
}

function objectInput(v: unknown): Record<string, unknown> {
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new UsageError("the input must be a JSON object");
  return v as Record<string, unknown>;
}

const printRule = (r: PolicyRule) => printRecord({
  id: r.id, description: r.description, effect: r.effect, priority: r.priority, enabled: r.enabled,
  not_before: r.not_before ?? null, expires_at: r.expires_at ?? null, match: r.match,
});

/** `mcias ctl policy`: list, get, create, update, delete, evaluate. */
export const policyGroup = group("policy",
  "Manage policy rules and ask the engine for decisions (admin; built-in rules have negative ids). " +
  "Example: mcias ctl policy create --file rule.json, where rule.json is " +
  "{\"description\":\"ops read audit\",\"effect\":\"allow\",\"match\":{\"roles\":[\"ops\"],\"actions\":[\"audit:read\"]}}", {
    list: leaf({
      name: "list", description: "List built-in (negative ids) and stored rules",
      async run(args) {
        output(args, await makeClient(args).listPolicyRules(), (rules) =>
          printTable(rules.map((r) => ({ ...r, match: JSON.stringify(r.match) })), ["id", "effect", "priority", "enabled", "description", "match"]));
      },
    }),
    get: leaf({
      name: "get", description: "Show one rule", args: ruleId,
      async run(args) { output(args, await makeClient(args).getPolicyRule(intId(args.id)), printRule); },
    }),
    create: leaf({
      name: "create", description: "Create a rule from JSON (--file F or stdin)", args: fileArg,
      async run(args) {
        const body = objectInput(await readJsonInput(args.file)) as unknown as CreatePolicyRuleRequest;
        output(args, await makeClient(args).createPolicyRule(body), printRule);
      },
    }),
    update: leaf({
      name: "update", description: "Change fields of a rule from JSON (--file F or stdin)", args: { ...ruleId, ...fileArg },
      async run(args) {
        const id = intId(args.id);
        const body = objectInput(await readJsonInput(args.file)) as UpdatePolicyRuleRequest;
        output(args, await makeClient(args).updatePolicyRule(id, body), printRule);
      },
    }),
    delete: leaf({
      name: "delete", description: "Delete a stored rule", args: ruleId,
      async run(args) {
        const id = intId(args.id);
        await makeClient(args).deletePolicyRule(id);
        if (!args.json) console.log(`rule ${id} deleted`);
      },
    }),
    evaluate: leaf({
      name: "evaluate",
      description: "Ask the engine for a decision: --subject, --action and --resource-type (and --resource-id), " +
        "or {\"subject_id\",\"action\",\"resource\":{\"type\",\"id\"?}} as JSON (--file F or stdin)",
      args: {
        subject: { type: "string", description: "Subject account: id or username" },
        action: { type: "string", description: "Action, e.g. pgcreds:read" },
        "resource-type": { type: "string", description: "Resource type, e.g. account, pgcreds, token" },
        "resource-id": { type: "string", description: "Resource id (an account's id or username; a token's jti)" },
        ...fileArg,
      },
      async run(args) {
        const c = makeClient(args);
        let body: EvaluateRequest;
        if (args.subject !== undefined || args.action !== undefined || args["resource-type"] !== undefined) {
          const action = need(args, "action", "(with --subject)");
          const type = need(args, "resource-type", "(with --subject)");
          const rid = args["resource-id"] as string | undefined;
          // An id passes through accountRef unchanged (a jti too); a name is looked up as an account.
          const ridIsAccount = rid !== undefined && (type === "account" || type === "pgcreds" || type === "token");
          body = {
            subject_id: await accountRef(c, need(args, "subject", "(with --action)"), "subject"),
            action,
            resource: { type: type as EvaluateRequest["resource"]["type"], ...(rid !== undefined ? { id: ridIsAccount ? await accountRef(c, rid, "resource-id") : rid } : {}) },
          };
        } else {
          body = objectInput(await readJsonInput(args.file)) as unknown as EvaluateRequest;
          if (typeof body.subject_id === "string") body.subject_id = await accountRef(c, body.subject_id, "subject");
        }
        output(args, await c.evaluatePolicy(body), (v) => printRecord({ ...v }));
      },
    }),
  });
