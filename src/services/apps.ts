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

/**
 * The readings of a request path that the servers behind a proxy differ on: as sent;
 * with encoded `/`, `\`, `.` and `;` decoded, `;params` dropped, repeated slashes
 * collapsed and dot segments resolved (what many frameworks route on); and both
 * case-folded (case-insensitive routers). Forward-auth decides a path under every
 * reading and allows only if all allow, so `//admin`, `/Admin`, `/admin;x` or
 * `/x/..%2fadmin` cannot slip past an `/admin` entry — in either direction.
 */
export function pathReadings(path: string): string[] {
  const decoded = path.replace(/%2f|%5c/gi, "/").replace(/%2e/gi, ".").replace(/%3b/gi, ";").replaceAll("\\", "/");
  const out: string[] = [];
  for (const seg of decoded.split("/")) {
    const s = seg.split(";")[0]!;
    if (s === "" || s === ".") continue;
    if (s === "..") out.pop();
    else out.push(s);
  }
  const normal = `/${out.join("/")}${decoded.endsWith("/") && out.length ? "/" : ""}`;
  return [...new Set([path, normal, path.toLowerCase(), normal.toLowerCase()])];
}

/** The entries covering `path` under each of its readings (null where a reading finds none). */
export function findAppsForPath(apps: readonly SsoApp[], host: string, path: string): Array<SsoApp | null> {
  return pathReadings(path).map((p) => findApp(apps, host, p));
}

export function appResource(app: SsoApp): Resource {
  return { type: "app", id: app.host, service: app.host, app_roles: app.roles };
}
