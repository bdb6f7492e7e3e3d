export { evaluate, ruleMatches } from "./engine";
export { BUILTIN_RULES } from "./builtins";
export { ACTIONS, RESOURCE_TYPES, isAction, type Action, type ResourceType } from "./actions";
export type { Subject, Resource, PolicyInput, Rule, RuleMatch, BuiltinMatch, Decision } from "./types";
