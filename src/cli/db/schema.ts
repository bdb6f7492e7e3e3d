import { existsSync } from "node:fs";
import type { Database } from "bun:sqlite";
import { defineCommand } from "citty";
import { currentVersion, forceVersion, LATEST_VERSION, migrate, openDatabase, pendingMigrations } from "../../store";
import { loadExistingConfig } from "../config";
import { ExitError, UsageError } from "../run";
import { configArg, toExitError } from "./context";

/** Opens the config's database without the schema checks the other commands make. */
async function withRawDb(configFlag: string | undefined, create: boolean, fn: (db: Database) => void): Promise<void> {
  const cfg = loadExistingConfig(configFlag);
  if (!create && !existsSync(cfg.database.path)) {
    throw new ExitError(1, `mcias db: database ${cfg.database.path} does not exist (run: mcias db schema migrate)`);
  }
  let db: Database | undefined;
  try {
    db = openDatabase(cfg.database.path, { create });
    fn(db);
  } catch (e) {
    throw toExitError(e);
  } finally {
    db?.close();
  }
}

export const schemaCommand = defineCommand({
  meta: { name: "schema", description: "Inspect and apply database migrations" },
  subCommands: {
    verify: defineCommand({
      meta: { name: "verify", description: "Exit 0 when the schema is current, 1 when migrations are pending (or it is newer than this binary)" },
      args: { ...configArg },
      run: ({ args }) => withRawDb(args.config, false, (db) => {
        const v = currentVersion(db);
        if (v > LATEST_VERSION) throw new ExitError(1, `mcias db: schema version ${v} is newer than this binary knows (${LATEST_VERSION}); upgrade mcias`);
        const pending = pendingMigrations(db);
        if (pending.length) {
          console.log(`schema version ${v}; pending: ${pending.map((m) => m.name).join(", ")}`);
          throw new ExitError(1);
        }
        console.log(`schema version ${v}: current`);
      }),
    }),
    migrate: defineCommand({
      meta: { name: "migrate", description: "Apply pending migrations (creates the database if missing)" },
      args: { ...configArg },
      run: ({ args }) => withRawDb(args.config, true, (db) => {
        const applied = migrate(db);
        console.log(applied.length ? `applied migrations: ${applied.join(", ")}; schema version ${currentVersion(db)}` : `schema version ${currentVersion(db)}: already current`);
      }),
    }),
    force: defineCommand({
      meta: { name: "force", description: "Record schema version N without running SQL (repair after a failed migration)" },
      args: { ...configArg, version: { type: "string", required: true, description: `version to record (0..${LATEST_VERSION})` } },
      run: ({ args }) => {
        const n = /^\d{1,6}$/.test(String(args.version)) ? Number(args.version) : NaN;
        if (!Number.isInteger(n) || n > LATEST_VERSION) throw new UsageError(`--version must be 0..${LATEST_VERSION} (this binary knows no later schema)`);
        return withRawDb(args.config, false, (db) => {
          const before = currentVersion(db);
          forceVersion(db, n);
          console.log(`schema version forced from ${before} to ${n} (no SQL was run)`);
        });
      },
    }),
  },
});
