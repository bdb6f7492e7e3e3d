/** Where the master key comes from (SPEC §6): a keyfile, or a passphrase through Argon2id. */
import { readFileSync, statSync } from "node:fs";

export class KeyfileError extends Error {}

/**
 * Reads a keyfile: 32 raw bytes, or base64 text of 32 bytes. Refused when the file is
 * group- or world-accessible, as ssh does for private keys.
 */
export function readKeyfile(path: string): Buffer {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new KeyfileError(`master_key.keyfile: cannot read ${path}`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw new KeyfileError(`master_key.keyfile: ${path} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
  }
  const raw = readFileSync(path);
  if (raw.length === 32) return raw;
  const text = raw.toString("utf8").trim();
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    const key = Buffer.from(text, "base64");
    if (key.length === 32) return key;
  }
  throw new KeyfileError(`master_key.keyfile: ${path} must hold 32 raw bytes or their base64 (openssl rand -base64 32)`);
}
