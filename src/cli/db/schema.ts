import { defineCommand } from "citty";
import { currentVersion, forceVersion, LATEST_VERSION, migrate, openDatabase, pendingMigrations } from "../../store";
import { loadExistingConfig } from "../config";
import { ExitError } from "../run";
import { configArg } from "./context";

export const schemaCommand = defineCommand({
  meta: { name: "schema", description: "Inspect and apply database migrations" },
  subCommands: {
    verify: defineCommand({
      meta: { name: "verify", description: "Exit 0 when the schema is current, 1 when migrations are pending" },
      args: { ...configArg },
      run({ args }) {
        const cfg = loadExistingConfig(args.config);
        const db = openDatabase(cfg.database.path, { create: false });
        try {
          const v = currentVersion(db);
          const pending = pendingMigrations(db);
          if (v > LATEST_VERSION) throw new ExitError(1, `schema version ${v} is newer than this binary (${LATEST_VERSION})`);
          if (pending.length) {
            console.log(`schema version ${v}; pending: ${pending.map((m) => m.name).join(", ")}`);
            throw new ExitError(1);
          }
          console.log(`schema version ${v}: current`);
        } finally {
          db.close();
        }
      },
    }),
    migrate: defineCommand({
      meta: { name: "migrate", description: "Apply pending migrations (creates the database if missing)" },
      args: { ...configArg },
      run({ args }) {
        const cfg = loadExistingConfig(args.config);
        const db = openDatabase(cfg.database.path);
        try {
          const applied = migrate(db);
          console.log(applied.length ? `applied migrations: ${applied.join(", ")}; schema version ${currentVersion(db)}` : `schema version ${currentVersion(db)}: already current`);
        } catch (e) {
          throw new ExitError(1, `mcias db: ${(e as Error).message}`);
        } finally {
          db.close();
        }
      },
    }),
    force: defineCommand({
      meta: { name: "force", description: "Record schema version N without running SQL (repair after a failed migration)" },
      args: { ...configArg, version: { type: "string", required: true, description: "version to record" } },
      run({ args }) {
        const n = Number(args.version);
        if (!Number.isInteger(n) || n < 0 || n > LATEST_VERSION) throw new ExitError(2, `--version must be 0..${LATEST_VERSION}`);
        const cfg = loadExistingConfig(args.config);
        const db = openDatabase(cfg.database.path, { create: false });
        try {
          forceVersion(db, n);
          console.log(`schema version forced to ${n}`);
        } finally {
          db.close();
        }
      },
    }),
  },
});
