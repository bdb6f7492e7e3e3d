/**
 * Stored-rule validation (shared by REST, UI and the cache) and loading of rows that
 * were damaged outside the API: they must load disabled, never as "match anything".
 */
import { describe, expect, test } from "bun:test";
import { evaluate } from "../../src/policy";
import { applyPatch, parseMatch, parseNewRule, parseTime, ruleFromRow, RuleInvalid } from "../../src/services/ruleValidation";
import type { PolicyRuleRow } from "../../src/store/policyRules";

const row = (over: Partial<PolicyRuleRow>): PolicyRuleRow => ({
  id: 7, description: "d", effect: "allow", priority: 100, enabled: 1, not_before: null, expires_at: null,
  match: '{"roles":["ops"]}', created_at: "2026-01-01T00:00:00.000Z", updated_at: "2026-01-01T00:00:00.000Z", ...over,
});

describe("parseNewRule", () => {
  test("defaults: priority 100, enabled, no window; times normalized to UTC", () => {
    expect(parseNewRule({ description: "x", effect: "deny", match: {} })).toEqual({
      description: "x", effect: "deny", priority: 100, enabled: true, not_before: null, expires_at: null, match: {},
    });
    const r = parseNewRule({ description: "x", effect: "allow", match: {}, not_before: "2026-03-01T01:00:00+01:00", expires_at: "2026-03-01T00:00:00.5Z" });
    expect(r.not_before).toBe("2026-03-01T00:00:00.000Z");
    expect(r.expires_at).toBe("2026-03-01T00:00:00.500Z");
  });

  test("match lists are de-duplicated", () => {
    expect(parseMatch({ roles: ["ops", "ops"], actions: ["accounts:read"] })).toEqual({ roles: ["ops"], actions: ["accounts:read"] });
  });

  test.each([
    ["2026-13-01T00:00:00Z"], ["2026-02-29T00:00:00Z"], ["2026-04-31T00:00:00Z"], ["2026-01-01T24:00:00Z"],
    ["2026-01-01 00:00:00Z"], ["2026-01-01T00:00:00"], ["1767225600"], [""],
  ])("parseTime rejects %p", (x) => {
    expect(() => parseTime("t", x)).toThrow(RuleInvalid);
  });

  test("parseTime accepts a leap day and lower-case t/z", () => {
    expect(parseTime("t", "2028-02-29t10:00:00z")).toBe("2028-02-29T10:00:00.000Z");
  });

  test("limits: 64 items per list, priority 0..10000", () => {
    expect(() => parseMatch({ roles: Array.from({ length: 65 }, (_, i) => `r${i}`) })).toThrow(RuleInvalid);
    expect(parseNewRule({ description: "x", effect: "allow", match: {}, priority: 0 }).priority).toBe(0);
    expect(parseNewRule({ description: "x", effect: "allow", match: {}, priority: 10000 }).priority).toBe(10000);
    expect(() => parseNewRule({ description: "x", effect: "allow", match: {}, priority: Number.NaN })).toThrow(RuleInvalid);
  });
});

describe("applyPatch", () => {
  const base = parseNewRule({ description: "x", effect: "allow", match: { roles: ["ops"] }, expires_at: "2026-05-01T00:00:00Z" });
  test("reports exactly the changed fields; null clears a time", () => {
    expect(applyPatch(base, { description: "x" }).changed).toEqual([]);
    const p = applyPatch(base, { effect: "deny", expires_at: null });
    expect(p.changed).toEqual(["effect", "expires_at"]);
    expect(p.next.expires_at).toBeNull();
  });
  test("checks the resulting window, not just the patch", () => {
    expect(() => applyPatch(base, { not_before: "2026-06-01T00:00:00Z" })).toThrow(RuleInvalid);
  });
});

describe("ruleFromRow", () => {
  const input = { subject: { id: "s", account_type: "human" as const, roles: ["ops"], tags: [] }, action: "accounts:read" as const, resource: { type: "account" as const } };

  test("a valid row loads as written", () => {
    expect(ruleFromRow(row({}))).toMatchObject({ id: 7, enabled: true, match: { roles: ["ops"] } });
  });

  test.each([
    ["malformed JSON", { match: "{not json" }],
    ["wrong field type", { match: '{"roles":"ops"}' }],
    ["unknown match field", { match: '{"subject_is_delegate":true}' }],
    ["bad time", { not_before: "never" }],
    ["inverted window", { not_before: "2026-02-01T00:00:00Z", expires_at: "2026-01-01T00:00:00Z" }],
  ])("a damaged row (%s) loads disabled and grants nothing", (_n, over) => {
    const r = ruleFromRow(row(over as Partial<PolicyRuleRow>));
    expect(r.enabled).toBe(false);
    expect(evaluate(input, [r], Date.now())).toEqual({ effect: "deny", rule: null });
    // nor does a damaged deny lock everybody out
    expect(evaluate(input, [ruleFromRow(row({ ...(over as Partial<PolicyRuleRow>), effect: "deny" }))], Date.now()).rule).toBeNull();
  });
});
