/**
 * CSRF defence: an HMAC-signed double-submit token (OWASP "signed double-submit
 * cookie"). The token is `<nonce>.<hmac(key, nonce)>`; it lives in the `__Host-`
 * cookie and is echoed by every state-changing request in a form field or the
 * X-CSRF-Token header. A request passes only when both are present, equal, and the
 * signature verifies.
 *
 * The key is random per process, not derived from the master key: the unseal page
 * must be protected while the vault is sealed, when no master key exists. A restart
 * only makes open forms ask for a reload. The `__Host-` prefix means no sibling
 * subdomain can plant a cookie, so the token need not be bound to the session.
 */
import { createHmac, randomBytes } from "node:crypto";
import { constantTimeEqual } from "../crypto/constantTime";

export const CSRF_COOKIE = "__Host-mcias_csrf";
export const CSRF_FIELD = "_csrf";
export const CSRF_HEADER = "x-csrf-token";

const TOKEN_RE = /^[A-Za-z0-9_-]{22,64}\.[A-Za-z0-9_-]{43}$/;

export function createCsrf(key: Uint8Array = randomBytes(32)) {
  if (key.byteLength < 32) throw new Error("CSRF key must be at least 32 bytes");
  const sign = (nonce: string) => createHmac("sha256", key).update(`mcias-csrf:v1:${nonce}`).digest("base64url");

  /** True when the token is well formed and carries our signature. */
  function isSigned(token: string): boolean {
    if (!TOKEN_RE.test(token)) return false;
    const [nonce, mac] = token.split(".") as [string, string];
    return constantTimeEqual(mac, sign(nonce));
  }

  return {
    issue(): string {
      const nonce = randomBytes(24).toString("base64url");
      return `${nonce}.${sign(nonce)}`;
    },
    isSigned,
    /** The double-submit check: cookie and submitted value present, equal, and signed by us. */
    verify(cookie: string | null | undefined, submitted: string | null | undefined): boolean {
      if (!cookie || !submitted) return false;
      const same = constantTimeEqual(cookie, submitted);
      return isSigned(cookie) && same;
    },
  };
}

export type Csrf = ReturnType<typeof createCsrf>;
