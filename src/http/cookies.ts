/** Cookie names and the one cookie parser the console and the forward-auth face share. */
export const SESSION_COOKIE = "mcias_session";

export function parseCookies(header: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (!out.has(k)) out.set(k, part.slice(i + 1).trim());
  }
  return out;
}

export const readCookie = (header: string | null, name: string): string | null => parseCookies(header).get(name) ?? null;
