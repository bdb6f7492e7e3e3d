/**
 * What every `mcias db` command opens: the config's database (WAL + busy timeout,
 * safe beside a running server), the same services the server uses, acting as the
 * "mcias-db" operator, and — only for commands that need it — the master key.
 */
import { existsSync } from "node:fs";
import type { Config } from "../../config/schema";
import { createLogger } from "../../log";
import { createServices, OPERATOR_CTX, systemClock, type Ctx, type Services } from "../../services";
import { WrongMasterKeyError } from "../../services/vault";
import { createStore, currentVersion, LATEST_VERSION, openDatabase, type Store } from "../../store";
import { KeyfileError, readKeyfile } from "../../vault/masterKey";
import { createVault } from "../../vault/vault";
import { loadExistingConfig } from "../config";
import { readSecret } from "../prompt";
import { ExitError } from "../run";

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

export async function openDb(configFlag: string | undefined, opts: { allowPending?: boolean; create?: boolean } = {}): Promise<DbContext> {
  const config = loadExistingConfig(configFlag);
  if (!opts.create && !existsSync(config.database.path)) {
    throw new ExitError(1, `mcias db: database ${config.database.path} does not exist (run: mcias db schema migrate)`);
  }
  const db = openDatabase(config.database.path, { create: opts.create === true });
  const version = currentVersion(db);
  if (version > LATEST_VERSION) {
    db.close();
    throw new ExitError(1, `mcias db: database schema version ${version} is newer than this binary knows (${LATEST_VERSION}); upgrade mcias`);
  }
  if (!opts.allowPending && version < LATEST_VERSION) {
    db.close();
    throw new ExitError(1, `mcias db: database schema is at version ${version}, this binary needs ${LATEST_VERSION}: run mcias db schema migrate`);
  }
  const store = createStore(db);
  const vault = createVault();
  const log = createLogger({ level: "warn" });
  const services = createServices({ store, vault, config, clock: systemClock, log });
  return {
    config, store, services, ctx: OPERATOR_CTX,
    async unlock() {
      if (!vault.isSealed()) return;
      services.vault.initRow();
      try {
        let key: Buffer;
        if (config.masterKey.keyfile) key = readKeyfile(config.masterKey.keyfile);
        else {
          const name = config.masterKey.passphraseEnv!;
          const pass = Bun.env[name] || (await readSecret("Master passphrase: "));
          key = await services.vault.keyFromPassphrase(pass);
        }
        vault.unseal(services.vault.openWith(key));
      } catch (e) {
        if (e instanceof WrongMasterKeyError || e instanceof KeyfileError) throw new ExitError(1, `mcias db: ${e.message}`);
        throw e;
      }
    },
    close() {
      vault.seal();
      store.close();
    },
  };
}

/** Runs `fn` with an open context, closing it however `fn` ends; AppErrors exit 1 with their message. */
export async function withDb<T>(configFlag: string | undefined, fn: (c: DbContext) => Promise<T> | T, opts?: Parameters<typeof openDb>[1]): Promise<T> {
  const c = await openDb(configFlag, opts);
  try {
    return await fn(c);
  } catch (e) {
    const err = e as { name?: string; message?: string; code?: string };
    if (err?.name === "AppError") throw new ExitError(1, `mcias db: ${err.message} (${err.code})`);
    if (err?.name === "SQLiteError" && /busy|locked/i.test(err.message ?? "")) throw new ExitError(1, "mcias db: database is locked (busy timeout expired); try again");
    throw e;
  } finally {
    c.close();
  }
}

/** Finds an account by --id or --username. */
export function findAccount(c: DbContext, args: { id?: string; username?: string }) {
  const row = args.id ? c.store.accounts.get(args.id) : args.username ? c.store.accounts.getByUsername(args.username) : undefined;
  if (!args.id && !args.username) throw new ExitError(2, "mcias db: pass --id ID or --username U");
  if (!row) throw new ExitError(1, "mcias db: no such account");
  return row;
}
