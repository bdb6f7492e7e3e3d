/** `mcias ctl policy …`: ABAC rules (JSON from --file or stdin) and evaluation. */
import { UsageError } from "../run";
import type { CreatePolicyRuleRequest, EvaluateRequest, PolicyRule, UpdatePolicyRuleRequest } from "../../client/types";
import { group, leaf, makeClient, output, printRecord, printTable, readJsonInput } from "./common";

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
      name: "evaluate", description: "Evaluate {\"subject_id\",\"action\",\"resource\":{\"type\",\"id\"?}} from JSON (--file F or stdin)", args: fileArg,
      async run(args) {
        const body = objectInput(await readJsonInput(args.file)) as unknown as EvaluateRequest;
        output(args, await makeClient(args).evaluatePolicy(body), (v) => printRecord({ ...v }));
      },
    }),
  });
