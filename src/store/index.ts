/**
 * The store: one object naming every persistence operation (better-auth's
 * internal-adapter shape). Services receive it; nothing above services imports it.
 */
import type { Database } from "bun:sqlite";
import { createAccountRepo } from "./accounts";
import { createAuditRepo } from "./audit";
import { createDelegateRepo, createPgAccessRepo } from "./delegates";
import { createMaintenanceRepo } from "./maintenance";
import { createOidcRepo } from "./oidcRepo";
import { createPendingRepo } from "./pending";
import { createChangeCounters } from "./changeCounters";
import { createPgCredRepo } from "./pgcreds";
import { createPolicyRuleRepo } from "./policyRules";
import { createServerConfigRepo } from "./serverConfig";
import { createTokenRepo } from "./tokens";
import { createInviteRepo, createRecoveryCodeRepo, createWebauthnRepo } from "./onboarding";
import { createGeneration } from "./generation";

export function createStore(db: Database) {
  const generation = createGeneration(db);
  return {
    db,
    accounts: createAccountRepo(db),
    tokens: createTokenRepo(db),
    audit: createAuditRepo(db),
    serverConfig: createServerConfigRepo(db),
    delegates: createDelegateRepo(db),
    pgAccess: createPgAccessRepo(db),
    pgcreds: createPgCredRepo(db),
    policyRules: createPolicyRuleRepo(db),
    maintenance: createMaintenanceRepo(db),
    oidc: createOidcRepo(db),
    invites: createInviteRepo(db),
    webauthn: createWebauthnRepo(db),
    recoveryCodes: createRecoveryCodeRepo(db),
    /** Short-lived single-use entries every thread sees (WebAuthn challenges, token downloads). */
    pending: createPendingRepo(db),
    /** Per-table change counts kept by triggers (policy rules, OIDC keys), for caches of those tables. */
    changes: createChangeCounters(db, generation),
    /** Changes whenever any connection commits a change (see generation.ts). */
    generation: generation as () => string,
    /**
     * Runs `fn` in a BEGIN IMMEDIATE transaction: the write lock is taken up front, so a
     * read-then-write never fails with SQLITE_BUSY_SNAPSHOT beside a second process.
     */
    tx<T>(fn: () => T): T {
      return db.transaction(fn).immediate();
    },
    close(): void {
      generation.close();
      db.close(false);
    },
  };
}

export type Store = ReturnType<typeof createStore>;
export { openDatabase } from "./db";
export { openDatabaseExclusive, integrityProblems, DatabaseInUseError, BackupError } from "./maintenance";
export { migrate, currentVersion, pendingMigrations, forceVersion, LATEST_VERSION, SchemaTooNewError } from "./migrate";
