/**
 * The path of a request URL without building a URL object: the listener needs it for
 * every request (routing the OIDC paths, metrics label, log line), and `new URL` was a
 * measurable part of a token validation's CPU. Bun hands the handler an absolute URL
 * ("https://host:port/path?query"); anything else falls back to the URL parser.
 */
export function pathOf(url: string): string {
  const scheme = url.indexOf("://");
  if (scheme < 0) return new URL(url).pathname;
  const start = url.indexOf("/", scheme + 3);
  if (start < 0) return "/";
  let end = url.length;
  const q = url.indexOf("?", start);
  if (q >= 0) end = q;
  const h = url.indexOf("#", start);
  if (h >= 0 && h < end) end = h;
  const path = url.slice(start, end);
  // Only plain paths are taken as they are; percent-escapes, dot segments, backslashes
  // and characters the parser would escape go through it, so both ways always agree.
  return PLAIN.test(path) && !path.includes("/.") ? path : new URL(url).pathname;
}

const PLAIN = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
