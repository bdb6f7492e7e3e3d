/** /v1/policy: ABAC rules (SPEC §5) and what-if evaluation. */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { authPlugin } from "../plugins/auth";
import { responses } from "../../schemas/common";
import { CreateRuleBody, EvaluateBody, EvaluateResult, Rule, RuleParams, UpdateRuleBody } from "../../schemas/policy";

export const policyRoutes = (s: Services) =>
  new Elysia({ prefix: "/v1/policy", detail: { tags: ["policy"] } })
    .use(authPlugin(s))
    .get("/rules", ({ ctx }) => s.policy.list(ctx), {
      auth: true, detail: { summary: "List rules: built-ins (negative ids) then stored rules" },
      response: responses({ 200: t.Array(Rule) }),
    })
    .post("/rules", ({ ctx, body, set }) => {
      const r = s.policy.create(ctx, body);
      set.status = 201;
      return r;
    }, {
      auth: true, parse: "json", body: CreateRuleBody,
      detail: { summary: "Create a rule (policy:write); effective on the next request" }, response: responses({ 201: Rule }),
    })
    .get("/rules/:id", ({ ctx, params }) => s.policy.get(ctx, params.id), {
      auth: true, params: RuleParams, detail: { summary: "Read a rule" }, response: responses({ 200: Rule }),
    })
    .patch("/rules/:id", ({ ctx, params, body }) => s.policy.update(ctx, params.id, body), {
      auth: true, params: RuleParams, parse: "json", body: UpdateRuleBody,
      detail: { summary: "Change a stored rule (built-ins: 403)" }, response: responses({ 200: Rule }),
    })
    .delete("/rules/:id", ({ ctx, params, set }) => {
      s.policy.remove(ctx, params.id);
      set.status = 204;
    }, {
      auth: true, params: RuleParams, detail: { summary: "Delete a stored rule (built-ins: 403)" }, response: responses({ 204: t.Void() }),
    })
    .post("/evaluate", ({ ctx, body }) => s.policy.evaluate(ctx, body), {
      auth: true, parse: "json", body: EvaluateBody,
      detail: { summary: "Explain the decision for a subject, action and resource" }, response: responses({ 200: EvaluateResult }),
    });
