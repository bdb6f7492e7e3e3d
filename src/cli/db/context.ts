/**
 * What every `mcias db` command opens: the config's database (WAL + busy timeout,
 * safe beside a running server), the same services the server uses, acting as the
 * "mcias-db" operator, and — only for commands that need it — the master key.
 */
import { existsSync } from "node:fs";
import type { Config } from "../../config/schema";
import { createLogger } from "../../log";
import { createCore } from "../../app";
import { OPERATOR_CTX, type Ctx, type Services } from "../../services";
import { WeakPassphraseError, WrongMasterKeyError } from "../../services/vault";
import { currentVersion, DatabaseInUseError, LATEST_VERSION, openDatabase, openDatabaseExclusive, type Store } from "../../store";
import { KeyfileError, readKeyfile } from "../../vault/masterKey";
import { AppError } from "../../errors";
import type { AccountView } from "../../services/views";
import { loadExistingConfig } from "../config";
import { readSecret } from "../prompt";
import { ExitError, UsageError } from "../run";

export interface DbContext {
  config: Config;
  store: Store;
  services: Services;
  ctx: Ctx;
  /** Unseals the vault with the configured key source (prompting for a passphrase if unset). */
  unlock(): Promise<void>;
  close(): void;
}

export const configArg = {
  config: { type: "string", description: "TOML config file (default: $MCIAS_CONFIG, else ./mcias-data/mcias.toml)" },
} as const;

/** Every command naming one account accepts either flag. */
export const whoArgs = {
  id: { type: "string", description: "account: id or username" },
  username: { type: "string", description: "username (same as --id with a username)" },
} as const;

export interface OpenOptions {
  allowPending?: boolean;
  create?: boolean;
  /** Hold the database exclusively (no server or other process may use it meanwhile): rekey. */
  exclusive?: boolean;
}

export async function openDb(configFlag: string | undefined, opts: OpenOptions = {}): Promise<DbContext> {
  const config = loadExistingConfig(configFlag);
  if (!opts.create && !existsSync(config.database.path)) {
    throw new ExitError(1, `mcias db: database ${config.database.path} does not exist (run: mcias db schema migrate)`);
  }
  let db;
  try {
    db = opts.exclusive ? openDatabaseExclusive(config.database.path) : openDatabase(config.database.path, { create: opts.create === true });
  } catch (e) {
    if (e instanceof DatabaseInUseError) throw new ExitError(1, `mcias db: ${e.message}; stop the server first, this command needs the database to itself`);
    throw e;
  }
  const version = currentVersion(db);
  if (version > LATEST_VERSION) {
    db.close();
    throw new ExitError(1, `mcias db: database schema version ${version} is newer than this binary knows (${LATEST_VERSION}); upgrade mcias`);
  }
  if (!opts.allowPending && version < LATEST_VERSION) {
    db.close();
    throw new ExitError(1, `mcias db: database schema is at version ${version}, this binary needs ${LATEST_VERSION}: run mcias db schema migrate`);
  }
  const core = createCore({ db, config, log: createLogger({ level: "warn" }) });
  const { store, services } = core;
  return {
    config, store, services, ctx: OPERATOR_CTX,
    async unlock() {
      if (!services.vault.isSealed()) return;
      services.vault.initRow();
      try {
        let key: Buffer;
        if (config.masterKey.keyfile) key = readKeyfile(config.masterKey.keyfile);
        else {
          const name = config.masterKey.passphraseEnv!;
          const pass = Bun.env[name] || (await secret(`Master passphrase (${name} is not set): `));
          key = await services.vault.keyFromPassphrase(pass);
        }
        services.vault.unsealWithKey(key);
      } catch (e) {
        if (e instanceof WrongMasterKeyError || e instanceof WeakPassphraseError || e instanceof KeyfileError) throw new ExitError(1, `mcias db: ${e.message}`);
        throw e;
      }
    },
    close: core.close,
  };
}

/**
 * One clear line and a non-zero exit for every failure: service refusals (exit 1 with
 * their code), a database locked past the busy timeout, a bad file. No stack traces.
 */
export function toExitError(e: unknown): unknown {
  if (e instanceof ExitError || e instanceof UsageError) return e;
  const err = e as { name?: string; message?: string; code?: string };
  if (err?.name === "AppError") return new ExitError(1, `mcias db: ${err.message} (${err.code})`);
  if (/SQLITE_BUSY|SQLITE_LOCKED|database is locked/i.test(`${err?.code ?? ""} ${err?.message ?? ""}`)) {
    return new ExitError(1, "mcias db: database is locked (busy timeout expired: another process holds a write lock); try again");
  }
  if (err?.name === "SQLiteError" || /SQLITE_/.test(String(err?.code ?? ""))) return new ExitError(1, `mcias db: database error: ${err.message}`);
  if (e instanceof Error) return new ExitError(1, `mcias db: ${e.message}`);
  return e;
}

/** Runs `fn` with an open context, closing it however `fn` ends. */
export async function withDb<T>(configFlag: string | undefined, fn: (c: DbContext) => Promise<T> | T, opts?: OpenOptions): Promise<T> {
  let c: DbContext | undefined;
  try {
    c = await openDb(configFlag, opts);
    return await fn(c);
  } catch (e) {
    throw toExitError(e);
  } finally {
    c?.close();
  }
}

/** The id of the account `ref` (an id or a username) names: services.accounts.resolve. */
export function resolveAccount(c: DbContext, ref: string): string {
  try {
    return c.services.accounts.resolve(c.ctx, ref);
  } catch (e) {
    if (e instanceof AppError && e.code === "not_found") throw new ExitError(1, `mcias db: no such account: ${ref}`);
    throw e;
  }
}

/** Finds an account by --id (an id or a username, SPEC §17) or --username (deleted accounts included). */
export function findAccount(c: DbContext, args: { id?: string; username?: string }): AccountView {
  if (!args.id && !args.username) throw new UsageError("pass --id ID-OR-USERNAME (or --username U)");
  if (args.id && args.username) throw new UsageError("pass --id or --username, not both");
  return c.services.accounts.get(c.ctx, resolveAccount(c, (args.id ?? args.username)!));
}

/** A secret from the terminal (no echo) or the next stdin line; a missing line is a clear error. */
export async function secret(prompt: string, opts: { confirm?: boolean } = {}): Promise<string> {
  try {
    return await readSecret(prompt, opts);
  } catch (e) {
    throw new ExitError(1, `mcias db: ${(e as Error).message}`);
  }
}
