import { timingSafeEqual, createHash } from "node:crypto";

/**
 * Constant-time equality for secrets of any length: both sides are hashed first so
 * the comparison never short-circuits on length.
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}
