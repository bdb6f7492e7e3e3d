/** TOTP (RFC 6238) through otpauth: SHA1, 6 digits, 30 s, ±1 step. */
import { Secret, TOTP } from "otpauth";

const PERIOD = 30;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpUri(secretB32: string, username: string, issuer: string): string {
  return new TOTP({ issuer, label: username, secret: Secret.fromBase32(secretB32), algorithm: "SHA1", digits: 6, period: PERIOD }).toString();
}

/**
 * Returns the time step the code belongs to (so the caller can refuse a replay of
 * that step), or null when the code is wrong.
 */
export function matchTotp(secretB32: string, code: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = new TOTP({ secret: Secret.fromBase32(secretB32), algorithm: "SHA1", digits: 6, period: PERIOD });
  const delta = totp.validate({ token: code, timestamp: nowMs, window: 1 });
  if (delta === null) return null;
  return Math.floor(nowMs / 1000 / PERIOD) + delta;
}

export function totpCodeAt(secretB32: string, nowMs: number): string {
  return new TOTP({ secret: Secret.fromBase32(secretB32), algorithm: "SHA1", digits: 6, period: PERIOD }).generate({ timestamp: nowMs });
}
