import { randomBytes as nodeRandomBytes, randomUUID } from "node:crypto";

/** CSPRNG bytes (node:crypto). */
export function randomBytes(n: number): Buffer {
  return nodeRandomBytes(n);
}

/** The ids MCIAS mints (newId): lower-case UUIDs. Every check of an id uses this one pattern. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function newId(): string {
  return randomUUID();
}

/** A random password for generated credentials: 24 chars from a URL-safe alphabet (~143 bits). */
export function randomPassword(): string {
  return randomBytes(18).toString("base64url");
}
