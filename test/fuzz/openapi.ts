/**
 * Small helpers over the server's own OpenAPI document (GET /docs/json): list its
 * operations, check a JSON value against a documented schema, derive fast-check
 * arbitraries for request bodies, and scan a response for secret fields.
 *
 * The validator covers the JSON-schema keywords the document actually uses and fails
 * on any keyword it does not know, so a schema it cannot check is reported rather
 * than silently passed.
 */
import fc from "fast-check";

export type Schema = Record<string, any>;

export interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string; required: boolean; schema: Schema }[];
  body: Schema | null;
  responses: Record<string, Schema | null>;
  /** Effective security: null = inherits the document's default. */
  security: unknown[] | null;
}

export const ERROR_CODES: Record<string, number> = {
  bad_request: 400, unauthorized: 401, forbidden: 403, not_found: 404, conflict: 409,
  payload_too_large: 413, rate_limited: 429, vault_sealed: 503, internal: 500,
};

export function operations(doc: any): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const responses: Record<string, Schema | null> = {};
      for (const [code, r] of Object.entries<any>(op.responses ?? {})) {
        responses[code] = r?.content?.["application/json"]?.schema ?? null;
      }
      ops.push({
        method: method.toUpperCase(), path,
        params: (op.parameters ?? []).map((p: any) => ({ name: p.name, in: p.in, required: !!p.required, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.["application/json"]?.schema ?? null,
        responses,
        security: op.security ?? null,
      });
    }
  }
  return ops;
}

const KNOWN = new Set([
  "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf", "oneOf", "allOf",
  "minLength", "maxLength", "pattern", "minItems", "maxItems", "minimum", "maximum", "multipleOf", "format",
  "patternProperties", "title", "description", "$id", "default", "examples", "nullable", "uniqueItems",
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Problems found checking `v` against `s` (empty = valid). */
export function validate(s: Schema, v: unknown, doc: any, at = "$"): string[] {
  if (s.$ref) {
    const name = String(s.$ref).replace("#/components/schemas/", "");
    const target = doc.components?.schemas?.[name];
    return target ? validate(target, v, doc, at) : [`${at}: unresolved $ref ${s.$ref}`];
  }
  for (const k of Object.keys(s)) if (!KNOWN.has(k)) return [`${at}: schema keyword ${k} not understood`];
  const errs: string[] = [];
  if (s.anyOf || s.oneOf) {
    const alts: Schema[] = s.anyOf ?? s.oneOf;
    const ok = alts.filter((a) => validate(a, v, doc, at).length === 0).length;
    if (s.anyOf ? ok === 0 : ok !== 1) errs.push(`${at}: matches ${ok} of ${alts.length} alternatives`);
  }
  for (const a of s.allOf ?? []) errs.push(...validate(a, v, doc, at));
  if (s.type !== undefined) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    const t = typeOf(v);
    const ok = types.includes(t) || (t === "integer" && types.includes("number")) || (v === null && s.nullable);
    if (!ok) return [...errs, `${at}: ${t} is not ${types.join("|")}`];
  }
  if (s.const !== undefined && v !== s.const) errs.push(`${at}: not const ${JSON.stringify(s.const)}`);
  if (s.enum && !s.enum.some((e: unknown) => e === v)) errs.push(`${at}: ${JSON.stringify(v)} not in enum`);
  if (typeof v === "string") {
    if (s.minLength !== undefined && v.length < s.minLength) errs.push(`${at}: shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && v.length > s.maxLength) errs.push(`${at}: longer than ${s.maxLength}`);
    if (s.pattern && !new RegExp(s.pattern, "u").test(v)) errs.push(`${at}: does not match ${s.pattern}`);
    if (s.format === "uuid" && !UUID.test(v)) errs.push(`${at}: not a uuid`);
    if (s.format === "date-time" && !DATE_TIME.test(v)) errs.push(`${at}: not RFC 3339`);
  }
  if (typeof v === "number") {
    if (s.minimum !== undefined && v < s.minimum) errs.push(`${at}: below ${s.minimum}`);
    if (s.maximum !== undefined && v > s.maximum) errs.push(`${at}: above ${s.maximum}`);
    if (s.format === "integer" && !Number.isInteger(v)) errs.push(`${at}: not an integer`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) errs.push(`${at}: fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && v.length > s.maxItems) errs.push(`${at}: more than ${s.maxItems} items`);
    if (s.items) v.forEach((x, i) => errs.push(...validate(s.items, x, doc, `${at}[${i}]`)));
  }
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in o)) errs.push(`${at}: missing ${r}`);
    for (const [k, x] of Object.entries(o)) {
      const p = s.properties?.[k];
      if (p) { errs.push(...validate(p, x, doc, `${at}.${k}`)); continue; }
      const pp = Object.entries<Schema>(s.patternProperties ?? {}).find(([re]) => new RegExp(re, "u").test(k));
      if (pp) { errs.push(...validate(pp[1], x, doc, `${at}.${k}`)); continue; }
      if (s.additionalProperties === false) errs.push(`${at}: unexpected field ${k}`);
      else if (s.additionalProperties && typeof s.additionalProperties === "object") errs.push(...validate(s.additionalProperties, x, doc, `${at}.${k}`));
    }
  }
  return errs;
}

/** Fields that must never leave the server (SPEC §3); `password` is allowed only in the pgcreds read. */
const SECRET_KEYS = new Set(["password_hash", "totp_secret", "master_key", "signing_key", "private", "private_key", "secret_key", "passphrase", "d", "token_hash", "code_hash", "public_key", "sign_count"]);

export function secretFields(v: unknown, allowPassword: boolean, at = "$"): string[] {
  const found: string[] = [];
  if (Array.isArray(v)) v.forEach((x, i) => found.push(...secretFields(x, allowPassword, `${at}[${i}]`)));
  else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (SECRET_KEYS.has(k) || (k === "password" && !allowPassword)) found.push(`${at}.${k}`);
      found.push(...secretFields(x, allowPassword, `${at}.${k}`));
    }
  }
  return found;
}

/** A fast-check arbitrary producing values that satisfy `s` (within the keywords used here). */
export function arbitraryFor(s: Schema, doc: any, hints: { ids: () => string[] }, depth = 0): fc.Arbitrary<unknown> {
  if (s.$ref) return arbitraryFor(doc.components.schemas[String(s.$ref).replace("#/components/schemas/", "")], doc, hints, depth);
  if (s.anyOf || s.oneOf) return fc.oneof(...(s.anyOf ?? s.oneOf).map((a: Schema) => arbitraryFor(a, doc, hints, depth)));
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const types: string[] = Array.isArray(s.type) ? s.type : [s.type ?? "string"];
  return fc.oneof(...types.map((t) => arbitraryForType(t, s, doc, hints, depth)));
}

function arbitraryForType(t: string, s: Schema, doc: any, hints: { ids: () => string[] }, depth: number): fc.Arbitrary<unknown> {
  switch (t) {
    case "null": return fc.constant(null);
    case "boolean": return fc.boolean();
    case "integer":
    case "number": {
      const min = s.minimum ?? -1_000_000, max = s.maximum ?? 1_000_000;
      return fc.oneof(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), fc.constantFrom(Math.ceil(min), Math.floor(max)));
    }
    case "array": {
      const max = Math.min(s.maxItems ?? 5, depth > 2 ? 1 : 5);
      return fc.array(arbitraryFor(s.items ?? {}, doc, hints, depth + 1), { minLength: Math.min(s.minItems ?? 0, max), maxLength: Math.max(max, s.minItems ?? 0) });
    }
    case "object": {
      const props = Object.entries<Schema>(s.properties ?? {});
      const req = new Set<string>(s.required ?? []);
      const rec: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, p] of props) rec[k] = hinted(k, p) ?? arbitraryFor(p, doc, hints, depth + 1);
      return fc.record(rec, { requiredKeys: props.map(([k]) => k).filter((k) => req.has(k)) });
    }
    default: return stringFor(s, hints);
  }
}

/**
 * Domain hints so that "valid" bodies often pass the server's business rules too, not
 * only the schema: descriptions of the form "one of: a, b" list the accepted values,
 * RFC 3339 fields get dates, passwords get 12+ characters, priorities their range.
 */
function hinted(key: string, s: Schema): fc.Arbitrary<unknown> | null {
  const desc = String(s.description ?? "");
  const oneOf = /one of: ([^.;]+)/.exec(desc);
  if (oneOf) {
    const values = oneOf[1]!.split(",").map((x) => x.trim()).filter(Boolean);
    if (s.type === "array") return fc.array(fc.constantFrom(...values), { minLength: 1, maxLength: 3 });
    return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) });
  }
  if (/RFC 3339/.test(desc)) return fc.oneof(fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()), fc.constant(null));
  if (/password/.test(key) && s.type === "string") return fc.oneof({ weight: 4, arbitrary: fc.string({ minLength: 12, maxLength: 64 }) }, { weight: 1, arbitrary: fc.string({ maxLength: 300 }) });
  if (key === "priority") return fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 10_000 }) }, { weight: 1, arbitrary: fc.double() });
  if (key === "port") return fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 65_535 }) }, { weight: 1, arbitrary: fc.integer() });
  if (key === "grantee_id" || key === "subject_id") return fc.constant("@id");
  return null;
}

function stringFor(s: Schema, hints: { ids: () => string[] }): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 40, 300);
  if (s.format === "uuid") return fc.oneof(fc.uuid(), fc.constant("@id"));
  if (s.format === "date-time") return fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString());
  if (s.pattern) {
    return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length >= min && x.length <= (s.maxLength ?? Infinity));
  }
  return fc.oneof(
    fc.string({ minLength: min, maxLength: max }),
    fc.constant("x".repeat(Math.max(min, max))),
  );
}
