/**
 * API docs: the OpenAPI document from @elysiajs/openapi at /docs/json, and our own
 * /docs page that loads Swagger UI from files embedded in the binary. The plugin's
 * page is not used because it inlines script and style, which our CSP forbids.
 */
import { Elysia } from "elysia";
import { openapi } from "@elysiajs/openapi";
import bundlePath from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import cssPath from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import { VERSION } from "../version";

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

export const docsRoutes = () =>
  new Elysia()
    .use(openapi({
      path: "/docs",
      specPath: "/docs/json",
      provider: null,
      // Our routes are all dynamic; the default would drop /.well-known/jwks.json for its dot.
      exclude: { staticFile: false },
      documentation: {
        info: {
          title: "MCIAS API",
          version: VERSION,
          description: "Metacircular Identity and Access System. Errors are always {\"error\",\"code\"}.",
        },
        components: {
          securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
        },
        security: [{ bearer: [] }],
      },
    }))
    .get("/docs", () => new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }), { detail: { hide: true } })
    .get("/docs/assets/init.js", () => new Response(INIT, { headers: { "content-type": "text/javascript; charset=utf-8" } }), { detail: { hide: true } })
    .get("/docs/assets/swagger-ui-bundle.js", () => new Response(Bun.file(bundlePath), { headers: { "content-type": "text/javascript; charset=utf-8" } }), { detail: { hide: true } })
    .get("/docs/assets/swagger-ui.css", () => new Response(Bun.file(cssPath), { headers: { "content-type": "text/css; charset=utf-8" } }), { detail: { hide: true } });
