/**
 * Policy rule schemas (SPEC §5). Types and closedness are checked here; the policy
 * service checks the rest (known actions, names, tags, RFC 3339 times, ranges), so
 * the UI's raw-JSON form gets exactly the same validation.
 */
import { t } from "elysia";
import { ACTIONS, RESOURCE_TYPES } from "../policy";
import { Closed, Uuid } from "./common";

const Names = (description: string) => t.Array(t.String({ maxLength: 200 }), { minItems: 1, maxItems: 64, description });
const Effect = t.Union([t.Literal("allow"), t.Literal("deny")]);
const RuleTime = t.String({ maxLength: 40, description: "RFC 3339 date-time; stored and returned in UTC" });

const matchFields = {
  roles: t.Optional(Names("subject holds at least one of these roles")),
  account_types: t.Optional(t.Array(t.Union([t.Literal("human"), t.Literal("system")]), { minItems: 1, maxItems: 2 })),
  subject_ids: t.Optional(Names("subject is one of these account ids")),
  actions: t.Optional(Names(`one of: ${ACTIONS.join(", ")}`)),
  resource_types: t.Optional(Names(`one of: ${RESOURCE_TYPES.join(", ")}`)),
  owner_is_subject: t.Optional(t.Boolean({ description: "the resource belongs to the subject itself" })),
  services: t.Optional(Names("the resource belongs to one of these system accounts (by username)")),
  required_tags: t.Optional(Names("the target account carries every one of these tags")),
};

/** Every listed field must hold (AND); an absent field matches anything. */
export const RuleMatch = t.Object(matchFields, { ...Closed, title: "PolicyMatch" });

/** Built-in rules (negative ids) also use relationship predicates no stored rule may use. */
const RuleMatchView = t.Object({
  ...matchFields,
  subject_has_service_role: t.Optional(t.Boolean({ description: "built-in only: subject holds a role named like the system account" })),
  subject_is_delegate: t.Optional(t.Boolean({ description: "built-in only: subject is a token delegate of the system account" })),
  subject_is_grantee: t.Optional(t.Boolean({ description: "built-in only: subject was granted credential metadata access" })),
  escalates_to_admin: t.Optional(t.Boolean({ description: "built-in only: the resource's account holds admin and the subject does not" })),
  subject_has_app_role: t.Optional(t.Boolean({ description: "built-in only: subject holds one of the app's roles (or the app names none)" })),
}, { ...Closed, title: "PolicyMatchView" });

export const Rule = t.Object({
  id: t.Integer({ description: "negative for compiled-in (immutable) rules" }),
  description: t.String(),
  effect: Effect,
  priority: t.Integer(),
  enabled: t.Boolean(),
  not_before: t.Optional(RuleTime),
  expires_at: t.Optional(RuleTime),
  match: RuleMatchView,
}, { ...Closed, title: "PolicyRule" });

export const CreateRuleBody = t.Object({
  description: t.String({ minLength: 1, maxLength: 256 }),
  effect: Effect,
  priority: t.Optional(t.Number({ description: "integer 0-10000, default 100; lower is reported first" })),
  enabled: t.Optional(t.Boolean()),
  not_before: t.Optional(t.Union([RuleTime, t.Null()])),
  expires_at: t.Optional(t.Union([RuleTime, t.Null()])),
  match: RuleMatch,
}, { ...Closed, title: "CreatePolicyRuleRequest" });

export const UpdateRuleBody = t.Object({
  description: t.Optional(t.String({ minLength: 1, maxLength: 256 })),
  effect: t.Optional(Effect),
  priority: t.Optional(t.Number()),
  enabled: t.Optional(t.Boolean()),
  not_before: t.Optional(t.Union([RuleTime, t.Null()], { description: "null clears it" })),
  expires_at: t.Optional(t.Union([RuleTime, t.Null()], { description: "null clears it" })),
  match: t.Optional(RuleMatch),
}, { ...Closed, title: "UpdatePolicyRuleRequest" });

export const RuleParams = t.Object({ id: t.String({ maxLength: 20, description: "rule id (negative for built-ins)" }) }, Closed);

export const EvaluateBody = t.Object({
  subject_id: Uuid,
  action: t.String({ maxLength: 64, description: `one of: ${ACTIONS.join(", ")}` }),
  resource: t.Object({
    type: t.String({ maxLength: 32, description: `one of: ${RESOURCE_TYPES.join(", ")}` }),
    id: t.Optional(t.String({ maxLength: 36, description: "account id (account, pgcreds); jti or account id (token)" })),
  }, Closed),
}, { ...Closed, title: "PolicyEvaluateRequest" });

export const EvaluateResult = t.Object({
  effect: Effect,
  rule_id: t.Union([t.Integer(), t.Null()], { description: "null for the default deny" }),
  rule_description: t.Union([t.String(), t.Null()]),
}, { ...Closed, title: "PolicyEvaluateResult" });
