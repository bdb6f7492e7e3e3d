/**
 * Maps a request to the route template that served it (`/v1/accounts/:id/roles/:role`),
 * for metrics labels: a raw path would put account ids in labels and let any client
 * create unbounded series. Paths that match no route (or only the catch-all "/*" that
 * answers the 404 page) become "unmatched".
 */
export interface RouteLike { method: string; path: string }

export function createRouteMatcher(routes: readonly RouteLike[]): (method: string, path: string) => string {
  const compiled = routes
    .filter((r) => typeof r.path === "string" && r.path.startsWith("/") && r.path !== "/*")
    .map((r) => ({
      method: r.method.toUpperCase(),
      template: r.path,
      // Static routes first: "/v1/accounts/me" style paths must not be taken by ":id".
      dynamic: r.path.includes(":") || r.path.includes("*"),
      re: new RegExp("^" + r.path.split("/").map((seg) =>
        seg.startsWith(":") ? "[^/]+" : seg === "*" ? ".*" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("/") + "/?$"),
    }))
    .sort((a, b) => Number(a.dynamic) - Number(b.dynamic));
  const exact = new Map<string, string>();
  for (const c of compiled) if (!c.dynamic) exact.set(`${c.method} ${c.template}`, c.template);
  return (method, path) => {
    const m = method === "HEAD" ? "GET" : method;
    const hit = exact.get(`${m} ${path}`);
    if (hit) return hit;
    for (const c of compiled) {
      if ((c.method === m || c.method === "ALL") && c.re.test(path)) return c.template;
    }
    return "unmatched";
  };
}
