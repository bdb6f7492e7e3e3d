/**
 * The vault: the only holder of the master key and the signing key in memory.
 * Sealed = no key bytes held. Sealing overwrites the bytes before dropping them.
 * A KeyObject for signing is made per use from the held PKCS#8 bytes, so nothing
 * outlives a seal but garbage the GC has not yet reclaimed.
 */
import type { KeyObject } from "node:crypto";
import { AppError } from "../errors";
import { privateKeyObject, publicKeyObject, type PublicJwk } from "../crypto/signingKey";

export interface UnsealedKeys {
  masterKey: Buffer;
  signingPkcs8: Buffer;
  publicJwk: PublicJwk;
}

export type VaultListener = (sealed: boolean) => void;

export function createVault() {
  let keys: UnsealedKeys | null = null;
  let publicJwk: PublicJwk | null = null;
  let publicKey: KeyObject | null = null;
  const listeners = new Set<VaultListener>();
  // With worker threads: applies a seal/unseal made in another thread before any use.
  let sync: (() => void) | null = null;

  function require(): UnsealedKeys {
    sync?.();
    if (!keys) throw new AppError("vault_sealed");
    return keys;
  }

  return {
    isSealed: () => { sync?.(); return keys === null; },
    /** Installs the cross-thread check run before every use of the vault. */
    setSync(fn: () => void): void { sync = fn; },
    /** Installs keys (already verified by the caller). */
    unseal(k: UnsealedKeys): void {
      keys = { masterKey: Buffer.from(k.masterKey), signingPkcs8: Buffer.from(k.signingPkcs8), publicJwk: k.publicJwk };
      k.masterKey.fill(0);
      k.signingPkcs8.fill(0);
      publicJwk = k.publicJwk;
      publicKey = publicKeyObject(k.publicJwk);
      for (const l of listeners) l(false);
    },
    seal(): void {
      if (keys) {
        keys.masterKey.fill(0);
        keys.signingPkcs8.fill(0);
      }
      keys = null;
      for (const l of listeners) l(true);
    },
    /** The master key; throws vault_sealed. Callers must not keep it. */
    masterKey: () => require().masterKey,
    signingKey: (): KeyObject => privateKeyObject(require().signingPkcs8),
    /** Public parts stay known while sealed (they are public), but are only served unsealed. */
    publicJwk: () => publicJwk,
    publicKey: () => publicKey,
    setPublic(jwk: PublicJwk): void {
      publicJwk = jwk;
      publicKey = publicKeyObject(jwk);
    },
    onChange(l: VaultListener): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

export type Vault = ReturnType<typeof createVault>;
