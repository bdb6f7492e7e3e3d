/**
 * The master-key lifecycle (SPEC §6): derive or read the key, check it against the
 * stored key-check value, create the signing key on first start, seal and unseal.
 */
import { AppError } from "../errors";
import { open, seal } from "../crypto/aead";
import { DEFAULT_KDF_PARAMS, deriveMasterKey, type KdfParams } from "../crypto/kdf";
import { randomBytes } from "../crypto/random";
import { generateSigningKey, type PublicJwk } from "../crypto/signingKey";
import { readKeyfile } from "../vault/masterKey";
import type { UnsealedKeys } from "../vault/vault";
import type { AuditService } from "./audit";
import type { Authz } from "./authz";
import { iso, type ServiceDeps } from "./deps";
import { MIN_MASTER_PASSPHRASE } from "./limits";
import { type Ctx } from "./principal";

export const KEY_CHECK_AAD = "mcias:key-check:v1";
export const KEY_CHECK_PLAINTEXT = "mcias key check v1";
export const SIGNING_KEY_AAD = "mcias:signing-key:v1";

/**
 * What a sealed server still serves (SPEC §6), declared once: every face maps its
 * routes onto these operations (REST paths in src/api/app.ts, the console's unseal
 * page, gRPC's Health/Status/Unseal) and asks `openWhileSealed` / `services.vault.admits`.
 */
export const OPEN_WHILE_SEALED = ["health", "vault.status", "vault.unseal"] as const;
export type SealedOperation = (typeof OPEN_WHILE_SEALED)[number];

export function openWhileSealed(op: string | null | undefined): op is SealedOperation {
  return op != null && (OPEN_WHILE_SEALED as readonly string[]).includes(op);
}

/** 127.0.0.0/8, ::1 and their v4-mapped forms. */
export function isLoopback(ip: string | null): boolean {
  if (!ip) return false;
  const v4 = ip.replace(/^::ffff:/i, "");
  return ip === "::1" || /^127\.\d+\.\d+\.\d+$/.test(v4);
}

export class WrongMasterKeyError extends Error {
  constructor() { super("master key does not match this database (wrong passphrase or keyfile)"); }
}

/** A first start would initialize the database with a passphrase below the floor. */
export class WeakPassphraseError extends Error {
  constructor() {
    super(`the master passphrase must be at least ${MIN_MASTER_PASSPHRASE} characters to initialize a new database`);
    this.name = "WeakPassphraseError";
  }
}

/**
 * The vault state shared between serving threads (`[server] workers` > 1), implemented
 * in src/workers/sharedVault.ts. `publish` returns the new generation.
 */
export interface VaultShare {
  generation(): number;
  /** The current state: the master key (a copy) or null when sealed. */
  read(): { gen: number; key: Buffer | null };
  publish(key: Buffer | null): number;
}

export function createVaultService(deps: ServiceDeps, audit: AuditService, authz: Authz, share?: VaultShare) {
  const { store, vault, config, clock, log } = deps;
  const now = () => iso(clock.now());
  let unsealing: Promise<void> | null = null;
  let applied = -1;
  let syncing = false;

  /** Applies a seal or unseal published by another thread (cheap when nothing changed). */
  function syncShared(): void {
    if (!share || syncing || share.generation() === applied) return;
    syncing = true;
    try {
      const { gen, key } = share.read();
      applied = gen;
      if (!key) {
        if (!vault.isSealed()) vault.seal();
      } else if (vault.isSealed()) {
        try {
          vault.unseal(openWith(key));
        } catch {
          key.fill(0); // raced with a seal: stay sealed until the next change
        }
      } else key.fill(0);
    } finally {
      syncing = false;
    }
  }
  if (share) vault.setSync(syncShared);
  /** Tells the other threads: `key` (copied) or null for sealed. */
  const publish = (key: Buffer | null) => {
    if (share) applied = share.publish(key);
  };

  /** Makes sure the config row and (for passphrases) the KDF salt exist. */
  function initRow(): void {
    store.tx(() => {
      store.serverConfig.ensureRow(now());
      const row = store.serverConfig.get()!;
      if (config.masterKey.passphraseEnv && !row.kdf_salt) {
        store.serverConfig.setKdf(randomBytes(16), JSON.stringify(DEFAULT_KDF_PARAMS), now());
      }
    });
    const jwk = store.serverConfig.get()?.signing_key_jwk;
    if (jwk) vault.setPublic(JSON.parse(jwk) as PublicJwk);
  }

  const tooShort = (p: string) => [...p].length < MIN_MASTER_PASSPHRASE;
  function warnIfShort(p: string): void {
    if (tooShort(p)) {
      log.warn(`the master passphrase is shorter than ${MIN_MASTER_PASSPHRASE} characters; move to a longer one with \`mcias db rekey --to-passphrase\``);
    }
  }

  async function keyFromPassphrase(passphrase: string): Promise<Buffer> {
    const row = store.serverConfig.get();
    if (!row?.kdf_salt || !row.kdf_params) throw new Error("KDF salt missing from database");
    return deriveMasterKey(passphrase, row.kdf_salt, JSON.parse(row.kdf_params) as KdfParams);
  }

  /**
   * Checks `key` against the key-check value (or, on a fresh database, stores one and
   * creates the signing key) and returns the keys to hold. Throws WrongMasterKeyError.
   */
  function openWith(key: Buffer): UnsealedKeys {
    return store.tx(() => {
      const row = store.serverConfig.get()!;
      if (!row.key_check) {
        if (row.signing_key_enc) throw new Error("database has a signing key but no key-check value");
        const kcv = seal(key, Buffer.from(KEY_CHECK_PLAINTEXT), KEY_CHECK_AAD);
        const sk = generateSigningKey();
        store.serverConfig.setKeyCheck(kcv, now());
        store.serverConfig.setSigningKey(seal(key, sk.pkcs8, SIGNING_KEY_AAD), JSON.stringify(sk.publicJwk), now());
        log.info("initialized master key check and signing key", { kid: sk.publicJwk.kid });
        return { masterKey: key, signingPkcs8: sk.pkcs8, publicJwk: sk.publicJwk };
      }
      try {
        open(key, row.key_check, KEY_CHECK_AAD);
      } catch {
        throw new WrongMasterKeyError();
      }
      const pkcs8 = open(key, row.signing_key_enc!, SIGNING_KEY_AAD);
      return { masterKey: key, signingPkcs8: pkcs8, publicJwk: JSON.parse(row.signing_key_jwk!) as PublicJwk };
    });
  }

  return {
    initRow,
    keyFromPassphrase,
    openWith,
    /** Opens the vault with a master key (`mcias db`): checks it, then holds the keys. Throws WrongMasterKeyError. */
    unsealWithKey(key: Buffer): void {
      vault.unseal(openWith(key));
    },

    /** A worker thread's start: follow the state the main thread published. */
    joinShared(): void {
      initRow();
      syncShared();
    },
    /** The main thread's start, after startup(): publish what it unsealed (or sealed). */
    publishShared(): void {
      // This thread's state is the truth at start: skip the (initially sealed) shared one.
      if (share) applied = share.generation();
      publish(vault.isSealed() ? null : vault.masterKey());
    },

    /**
     * At start: a keyfile unseals at once; a passphrase unseals when its variable is
     * set, otherwise the server starts sealed and waits for POST /v1/vault/unseal.
     */
    async startup(env: Record<string, string | undefined> = Bun.env): Promise<void> {
      initRow();
      if (config.masterKey.keyfile) {
        vault.unseal(openWith(readKeyfile(config.masterKey.keyfile)));
        return;
      }
      const name = config.masterKey.passphraseEnv!;
      const passphrase = env[name];
      if (passphrase === undefined || passphrase === "") {
        log.warn("vault sealed: passphrase variable not set; unseal with POST /v1/vault/unseal", { variable: name });
        return;
      }
      // A new database gets the floor; an existing shorter passphrase keeps working
      // (refusing it would lock the owner out of their own data) with a warning.
      if (!store.serverConfig.get()?.key_check && tooShort(passphrase)) {
        throw new WeakPassphraseError();
      }
      vault.unseal(openWith(await keyFromPassphrase(passphrase)));
      warnIfShort(passphrase);
    },

    status: () => ({ sealed: vault.isSealed() }),
    isSealed: () => vault.isSealed(),
    /** Whether a request for `op` (null: any other operation) may be served now. */
    admits: (op: string | null | undefined): boolean => !vault.isSealed() || openWhileSealed(op),

    async unseal(ctx: Ctx, passphrase: string): Promise<{ sealed: false }> {
      if (!vault.isSealed()) return { sealed: false };
      if (!config.masterKey.passphraseEnv) {
        // Re-reading the keyfile on request would let anyone undo an admin's seal.
        throw new AppError("bad_request", "this server uses a keyfile; restart it to unseal");
      }
      // A fresh database (no key check yet) is initialized by its first unseal, as a fresh
      // install that starts sealed needs (Vault's `operator init` is first-caller too).
      // It gets the password floor, a loud log line and its own audit detail.
      const initializing = !store.serverConfig.get()?.key_check;
      // Whoever initializes chooses the passphrase, so only someone on the host itself may:
      // a remote first caller could otherwise take over a freshly installed server.
      if (initializing && !isLoopback(ctx.ip)) {
        throw new AppError("forbidden", "an uninitialized vault can only be unsealed from the host itself (loopback)");
      }
      if (initializing && tooShort(passphrase)) {
        throw new AppError("bad_request", `a new master passphrase must be at least ${MIN_MASTER_PASSPHRASE} characters`);
      }
      // One derivation at a time: concurrent unseal calls wait for the first.
      while (unsealing) await unsealing.catch(() => undefined);
      if (!vault.isSealed()) return { sealed: false };
      const attempt = (async () => {
        let keys: UnsealedKeys;
        let fresh = false;
        try {
          const key = await keyFromPassphrase(passphrase);
          fresh = !store.serverConfig.get()?.key_check; // read right before openWith, no await between
          keys = openWith(key);
        } catch (e) {
          if (e instanceof WrongMasterKeyError) {
            store.tx(() => audit.record(ctx, "vault_unseal_failed", null, {}));
            throw new AppError("unauthorized", "wrong passphrase");
          }
          throw e;
        }
        store.tx(() => audit.record(ctx, "vault_unsealed", null, fresh ? { initialized: true } : {}));
        if (fresh) log.warn("master key initialized by the first unseal", { ip: ctx.ip });
        else warnIfShort(passphrase);
        publish(keys.masterKey);
        vault.unseal(keys);
      })();
      unsealing = attempt;
      try {
        await attempt;
      } finally {
        // Waiters may already have started the next attempt: only clear our own.
        if (unsealing === attempt) unsealing = null;
      }
      return { sealed: false };
    },

    seal(ctx: Ctx): { sealed: true } {
      authz.require(ctx, "vault:seal", { type: "vault" });
      if (vault.isSealed()) return { sealed: true };
      store.tx(() => audit.record(ctx, "vault_sealed", null, {}));
      publish(null);
      vault.seal();
      log.warn("vault sealed", { by: ctx.principal?.username ?? ctx.actorName ?? null });
      return { sealed: true };
    },
  };
}

export type VaultService = ReturnType<typeof createVaultService>;
