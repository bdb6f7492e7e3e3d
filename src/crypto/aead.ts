/**
 * AES-256-GCM with a fresh 96-bit nonce per seal. Wire format: nonce(12) || ciphertext || tag(16).
 * `aad` binds a ciphertext to its owner (e.g. the account id), so a blob copied to
 * another row fails to open.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { randomBytes } from "./random";

const NONCE = 12;
const TAG = 16;

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Buffer {
  if (key.length !== 32) throw new Error("aead: key must be 32 bytes");
  const nonce = randomBytes(NONCE);
  const c = createCipheriv("aes-256-gcm", key, nonce);
  c.setAAD(Buffer.from(aad, "utf8"));
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([nonce, ct, c.getAuthTag()]);
}

/** Throws on a wrong key, wrong aad or tampered blob. */
export function open(key: Uint8Array, blob: Uint8Array, aad: string): Buffer {
  if (key.length !== 32) throw new Error("aead: key must be 32 bytes");
  if (blob.length < NONCE + TAG) throw new Error("aead: ciphertext too short");
  const b = Buffer.from(blob);
  const d = createDecipheriv("aes-256-gcm", key, b.subarray(0, NONCE));
  d.setAAD(Buffer.from(aad, "utf8"));
  d.setAuthTag(b.subarray(b.length - TAG));
  return Buffer.concat([d.update(b.subarray(NONCE, b.length - TAG)), d.final()]);
}

export function sealString(key: Uint8Array, text: string, aad: string): Buffer {
  return seal(key, Buffer.from(text, "utf8"), aad);
}

export function openString(key: Uint8Array, blob: Uint8Array, aad: string): string {
  return open(key, blob, aad).toString("utf8");
}
