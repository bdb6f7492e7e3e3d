/**
 * API docs: the OpenAPI document at /docs/json (generated from the route schemas by
 * @elysiajs/openapi, then made a valid OpenAPI 3.1 document by cleanOpenApi), and our own
 * /docs page that loads Swagger UI from files embedded in the binary. The plugin's
 * page is not used because it inlines script and style, which our CSP forbids.
 */
import { Elysia } from "elysia";
import bundlePath from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import cssPath from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import { VERSION } from "../version";
import { useStrictFormats } from "../schemas/formats";

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MCIAS API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>`;

const INIT = `window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/docs/json", dom_id: "#swagger-ui", deepLinking: true });
});`;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

const DOCUMENTATION = {
  info: {
    title: "MCIAS API",
    version: VERSION,
    description: "Metacircular Identity and Access System. Errors are always {\"error\",\"code\"}; " +
      "times are RFC 3339 UTC; unknown JSON fields are 400. The full reference is docs/API.md in the repository and mcias(1).",
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
  },
  security: [{ bearer: [] }],
};

/** `{anyOf:[{type:"string",format:"integer"|…}, {type:"integer"|"number"}]}` is how TypeBox's
 *  t.Integer/t.Numeric look once unwrapped: a response is always the JSON number. */
function collapseNumeric(o: Json): Json | null {
  const any = o.anyOf;
  if (!Array.isArray(any) || any.length !== 2) return null;
  const str = any.find((b) => isObj(b) && b.type === "string" && typeof b.format === "string" && ["integer", "numeric", "number"].includes(b.format));
  const num = any.find((b) => isObj(b) && (b.type === "integer" || b.type === "number"));
  if (!str || !num) return null;
  const { anyOf: _drop, ...rest } = o;
  return { ...rest, ...(num as Json) };
}

/**
 * Makes the plugin's output a valid OpenAPI 3.1 document (SPEC §20):
 * - a 204 (or any response) whose `content` is not a media-type map loses it
 *   (t.Void() becomes `"content": {"type": "void"}`);
 * - every titled object schema (our shared schemas: Error, Account, PolicyRule, …) and
 *   every schema with a `#/components/schemas/X` `$id` is stored once under
 *   components.schemas and referenced with `$ref` (an inlined fragment `$id` is illegal);
 * - TypeBox's string-or-number unions for integers collapse to the number;
 * - request bodies are JSON only (the API parses nothing else).
 * Pure: the input is not changed.
 */
export function cleanOpenApi(input: Json): Json {
  const doc = structuredClone(input) as Json;
  const components = (isObj(doc.components) ? doc.components : (doc.components = {})) as Json;
  const schemas = (isObj(components.schemas) ? components.schemas : (components.schemas = {})) as Json;
  const conflicts = new Set<string>();

  const nameOf = (o: Json): string | null => {
    if (typeof o.$id === "string" && o.$id.startsWith("#/components/schemas/")) return o.$id.slice("#/components/schemas/".length);
    if (typeof o.title === "string" && o.type === "object" && /^[A-Za-z][A-Za-z0-9]*$/.test(o.title)) return o.title;
    return null;
  };
  const schema = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(schema);
    if (!isObj(v)) return v;
    let o: Json = {};
    for (const [k, val] of Object.entries(v)) {
      if (k === "$id") continue;
      // `properties` maps names to schemas; everything else that holds schemas is walked too.
      o[k] = k === "properties" && isObj(val)
        ? Object.fromEntries(Object.entries(val).map(([n, sv]) => [n, schema(sv)]))
        : k === "enum" || k === "const" || k === "default" || k === "examples" || k === "required" ? val : schema(val);
    }
    o = collapseNumeric(o) ?? o;
    const name = nameOf(v);
    if (!name || conflicts.has(name)) return o;
    const seen = schemas[name];
    if (seen === undefined) {
      schemas[name] = o;
    } else if (JSON.stringify(seen) !== JSON.stringify(o)) {
      conflicts.add(name);
      return o;
    }
    return { $ref: `#/components/schemas/${name}` };
  };

  for (const item of Object.values(isObj(doc.paths) ? doc.paths : {})) {
    if (!isObj(item)) continue;
    for (const op of Object.values(item)) {
      if (!isObj(op)) continue;
      if (Array.isArray(op.parameters)) {
        for (const p of op.parameters) if (isObj(p) && p.schema) p.schema = schema(p.schema);
      }
      if (isObj(op.requestBody) && isObj(op.requestBody.content)) {
        const json = op.requestBody.content["application/json"];
        if (isObj(json)) op.requestBody.content = { "application/json": { ...json, schema: schema(json.schema) } };
      }
      for (const [status, r] of Object.entries(isObj(op.responses) ? op.responses : {})) {
        if (!isObj(r)) continue;
        const content = r.content;
        const isMediaMap = isObj(content) && Object.values(content).every((m) => isObj(m));
        if (status === "204" || !isMediaMap) {
          delete r.content;
          continue;
        }
        for (const m of Object.values(content as Json)) {
          if (isObj(m) && m.schema) m.schema = schema(m.schema);
        }
      }
    }
  }
  // A name used by differing schemas stays inline everywhere (no half-shared component).
  for (const name of conflicts) delete schemas[name];
  if (conflicts.size) return cleanOpenApiWithout(input, conflicts);
  return doc;
}

/** Second pass when two different schemas share a title: those titles are not hoisted. */
function cleanOpenApiWithout(input: Json, names: Set<string>): Json {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (!isObj(v)) return v;
    const o: Json = {};
    for (const [k, val] of Object.entries(v)) o[k] = strip(val);
    if (typeof o.title === "string" && names.has(o.title)) delete o.title;
    if (typeof o.$id === "string" && names.has(o.$id.replace("#/components/schemas/", ""))) delete o.$id;
    return o;
  };
  return cleanOpenApi(strip(input) as Json);
}

export const docsRoutes = () => {
  // Ours over Elysia's own (src/schemas/formats.ts); again below once the plugin is loaded.
  useStrictFormats();
  const app = new Elysia({ name: "mcias-docs" });
  let cached: Json | null = null;
  return app
    .get("/docs/json", async () => {
      // The generator (@elysiajs/openapi) loads on the first request for the document.
      if (!cached) {
        const { toOpenAPISchema } = await import("@elysiajs/openapi");
        // Evaluating the plugin replaced the global format checkers with slow ones: ours
        // back (src/schemas/formats.ts) before anything else is validated.
        useStrictFormats();
        cached = cleanOpenApi({
          ...DOCUMENTATION,
          openapi: "3.1.0",
          paths: toOpenAPISchema(app, { staticFile: false }, undefined, undefined, "3.1.0").paths,
        } as Json);
      }
      return cached;
    }, { detail: { hide: true } })
    .get("/docs", () => new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }), { detail: { hide: true } })
    .get("/docs/assets/init.js", () => new Response(INIT, { headers: { "content-type": "text/javascript; charset=utf-8" } }), { detail: { hide: true } })
    .get("/docs/assets/swagger-ui-bundle.js", () => new Response(Bun.file(bundlePath), { headers: { "content-type": "text/javascript; charset=utf-8" } }), { detail: { hide: true } })
    .get("/docs/assets/swagger-ui.css", () => new Response(Bun.file(cssPath), { headers: { "content-type": "text/css; charset=utf-8" } }), { detail: { hide: true } });
};
