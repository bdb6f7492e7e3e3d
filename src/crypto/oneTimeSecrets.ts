/**
 * One-time secrets of SPEC §15: invite-link tokens (32 random bytes) and recovery
 * codes (60 random bits). Both are stored only as SHA-256: they are random and long,
 * so a fast hash is enough (nothing to brute-force offline), and a database leak
 * reveals no usable link or code.
 */
import { createHash } from "node:crypto";
import { randomBytes } from "./random";

export const INVITE_TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export function newInviteToken(): string {
  return randomBytes(32).toString("base64url");
}

export function sha256Hex(s: string): string {
  return createHash("sha256").update(s, "utf8").digest("hex");
}

// Crockford-style base32, lower case: no i, l, o, u (nothing to misread when typing it in).
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
export const RECOVERY_CODE_COUNT = 10;

/** "7k2m-q9xd-4hps": 12 characters, 60 bits. */
export function newRecoveryCode(): string {
  const bytes = randomBytes(12);
  let out = "";
  for (let i = 0; i < 12; i++) {
    out += ALPHABET[bytes[i]! & 31];
    if (i === 3 || i === 7) out += "-";
  }
  return out;
}

/** Lower-cases and drops separators; null when it cannot be a recovery code. */
export function normalizeRecoveryCode(input: string): string | null {
  const s = input.toLowerCase().replace(/[\s-]/g, "");
  return /^[0-9a-hjkmnp-tv-z]{12}$/.test(s) ? s : null;
}

export function recoveryCodeHash(normalized: string): string {
  return sha256Hex(`mcias-recovery:v1:${normalized}`);
}
