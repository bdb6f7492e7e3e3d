/**
 * The apps of `[[sso.apps]]` (SPEC §16) as the policy engine sees them: resource type
 * "app", its host as id and as `service` (so a stored rule can name it), its roles for
 * the built-in rule -12.
 */
import type { SsoApp } from "../config/schema";
import type { Resource } from "../policy";

/** The entry covering `host` + `path`: the longest matching path prefix wins; an entry without paths covers the host. */
export function findApp(apps: readonly SsoApp[], host: string, path: string): SsoApp | null {
  let best: SsoApp | null = null;
  let bestLen = -1;
  for (const a of apps) {
    if (a.host !== host) continue;
    if (a.paths.length === 0) {
      if (bestLen < 0) { best = a; bestLen = 0; }
      continue;
    }
    for (const p of a.paths) {
      const covers = path === p || path.startsWith(p.endsWith("/") ? p : `${p}/`) || (p.endsWith("/") && path.startsWith(p));
      if (covers && p.length > bestLen) { best = a; bestLen = p.length; }
    }
  }
  return best;
}

export function appResource(app: SsoApp): Resource {
  return { type: "app", id: app.host, service: app.host, app_roles: app.roles };
}
