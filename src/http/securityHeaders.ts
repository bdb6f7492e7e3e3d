/**
 * Headers every response carries (SPEC §3), applied once to the final Response so
 * errors, 404s and static files get them too.
 */
export const SECURITY_HEADERS: Record<string, string> = {
  "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

/** Static, secret-free assets may be cached; everything else may carry a token or secret. */
export function isCacheableAsset(path: string): boolean {
  return path.startsWith("/docs/assets/") || path.startsWith("/static/");
}

const ENTRIES = Object.entries(SECURITY_HEADERS);

export function applySecurityHeaders(res: Response, path: string): Response {
  for (const [k, v] of ENTRIES) res.headers.set(k, v);
  if (isCacheableAsset(path) && res.status === 200) res.headers.set("Cache-Control", "public, max-age=3600");
  else res.headers.set("Cache-Control", "no-store");
  return res;
}
