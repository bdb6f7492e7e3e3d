/** Master-key derivation from a passphrase: Argon2id via node:crypto. */
import { argon2 } from "node:crypto";

export interface KdfParams {
  /** KiB */
  memory: number;
  passes: number;
  parallelism: number;
}

/** Stronger than login hashing on purpose: it runs once per start or unseal. */
export const DEFAULT_KDF_PARAMS: KdfParams = { memory: 65536, passes: 3, parallelism: 1 };

/** Async so an unseal does not stall the event loop for other requests. */
export function deriveMasterKey(passphrase: string, salt: Uint8Array, p: KdfParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2("argon2id", {
      message: Buffer.from(passphrase, "utf8"),
      nonce: Buffer.from(salt),
      parallelism: p.parallelism,
      tagLength: 32,
      memory: p.memory,
      passes: p.passes,
    }, (err, key) => (err ? reject(err) : resolve(Buffer.from(key))));
  });
}
