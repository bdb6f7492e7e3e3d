/**
 * Static files served from the binary under /static/ (cacheable: they hold no secret).
 * Imported `with { type: "file" }` so `bun build --compile` embeds them.
 */
import htmxPath from "htmx.org/dist/htmx.min.js" with { type: "file" };
import cssPath from "./static/app.css" with { type: "file" };
import jsPath from "./static/app.js" with { type: "file" };
import iconPath from "./static/favicon.svg" with { type: "file" };
import passkeyPath from "./static/passkey.js" with { type: "file" };

const FILES: Record<string, { path: string; type: string }> = {
  "htmx.min.js": { path: htmxPath, type: "text/javascript; charset=utf-8" },
  "app.css": { path: cssPath, type: "text/css; charset=utf-8" },
  "app.js": { path: jsPath, type: "text/javascript; charset=utf-8" },
  "favicon.svg": { path: iconPath, type: "image/svg+xml" },
  "passkey.js": { path: passkeyPath, type: "text/javascript; charset=utf-8" },
};

export function staticFile(name: string): Response | null {
  // Own keys only: "__proto__" or "constructor" must be a 404, not a 500.
  const f = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (!f) return null;
  return new Response(Bun.file(f.path), { headers: { "content-type": f.type } });
}
