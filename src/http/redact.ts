/**
 * Paths that carry a secret (an invite link's token, a one-time token download's
 * nonce) are logged with the secret replaced: the request log must never hold a usable
 * link (SPEC §12, §15).
 */
export function redactPath(path: string): string {
  return path
    .replace(/^\/invite\/[^/]+/, "/invite/[redacted]")
    .replace(/^\/v1\/invites\/[^/]+/, "/v1/invites/[redacted]")
    .replace(/^\/token\/download\/[^/]+/, "/token/download/[redacted]");
}
