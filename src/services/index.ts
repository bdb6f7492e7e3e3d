/**
 * Builds every service once from its dependencies (logto's Libraries shape).
 * REST, UI and `mcias db` all receive this same object.
 */
import { createAccountService } from "./accounts";
import { createAuditQueryService, createAuditService } from "./audit";
import { createAuthService } from "./auth";
import { createAuthz } from "./authz";
import type { ServiceDeps } from "./context";
import { createMaintenanceService } from "./maintenance";
import { createPolicyService } from "./policy";
import { createPgCredService } from "./pgcreds";
import { createPolicyCache } from "./policyCache";
import { createServiceAccountService } from "./serviceAccounts";
import { createTokenService } from "./tokens";
import { createVaultService } from "./vault";

export function createServices(deps: ServiceDeps) {
  const policyCache = createPolicyCache(deps.store);
  const authz = createAuthz(deps, policyCache);
  const audit = createAuditService(deps);
  const tokens = createTokenService(deps, audit, authz);
  const auth = createAuthService(deps, audit, authz, tokens);
  const accounts = createAccountService(deps, audit, authz);
  const auditQuery = createAuditQueryService(deps, authz);
  const vault = createVaultService(deps, audit, authz, deps.vaultShare);
  const maintenance = createMaintenanceService(deps, audit, accounts);
  const serviceAccounts = createServiceAccountService(deps, audit, authz, tokens);
  const pgcreds = createPgCredService(deps, audit, authz);
  const policy = createPolicyService(deps, audit, authz, policyCache);
  // id distinguishes this wiring from another in the same process (Elysia plugin dedup).
  return { id: crypto.randomUUID(), deps, policyCache, authz, audit, tokens, auth, accounts, auditQuery, vault, policy, serviceAccounts, pgcreds, maintenance };
}

export type Services = ReturnType<typeof createServices>;
export type { Ctx, Principal, ServiceDeps, Clock } from "./context";
export { OPERATOR_CTX, systemClock } from "./context";
