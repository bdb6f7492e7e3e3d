/**
 * Compatibility barrel for branches written before the split (issue 14): new code
 * imports from deps.ts (ServiceDeps, Clock, iso), principal.ts (Ctx, Principal,
 * OPERATOR_CTX) or limits.ts (names and limits). Remove once nothing imports it.
 */
export * from "./deps";
export * from "./principal";
export * from "./limits";
