/**
 * Builds every service once from its dependencies (logto's Libraries shape).
 * REST, UI and `mcias db` all receive this same object.
 */
import { createAccountService } from "./accounts";
import { createAuditQueryService, createAuditService } from "./audit";
import { createAuthService } from "./auth";
import { createAuthz } from "./authz";
import type { ServiceDeps } from "./deps";
import { createMaintenanceService } from "./maintenance";
import { createOidcService } from "./oidcProvider";
import { createPolicyService } from "./policy";
import { createPgCredService } from "./pgcreds";
import { createPolicyCache } from "./policyCache";
import { createServiceAccountService } from "./serviceAccounts";
import { createTokenHandoff } from "./tokenHandoff";
import { createTokenService } from "./tokens";
import { createVaultService } from "./vault";
import { createInviteService } from "./invites";
import { createWebauthnService } from "./webauthn";
import { createSsoService } from "./sso";
import { createLiveStateCache } from "./liveState";

export function createServices(deps: ServiceDeps) {
  const policyCache = createPolicyCache(deps.store);
  const audit = createAuditService(deps);
  const authz = createAuthz(deps, policyCache, audit);
  // One per connection: tokens, auth and everything else read live account state through it.
  const live = createLiveStateCache(deps.store);
  const tokens = createTokenService(deps, audit, authz, live);
  const auth = createAuthService(deps, audit, authz, tokens, live);
  const accounts = createAccountService(deps, audit, authz);
  const auditQuery = createAuditQueryService(deps, authz);
  const vault = createVaultService(deps, audit, authz, deps.vaultShare);
  const maintenance = createMaintenanceService(deps, audit, accounts);
  const serviceAccounts = createServiceAccountService(deps, audit, authz, tokens);
  const pgcreds = createPgCredService(deps, audit, authz);
  const policy = createPolicyService(deps, audit, authz, policyCache);
  const oidc = createOidcService(deps, audit, authz);
  const invites = createInviteService(deps, audit, authz, tokens);
  const webauthn = createWebauthnService(deps, audit, authz, tokens, auth.stepUp);
  const tokenHandoff = createTokenHandoff(deps, audit);
  const sso = createSsoService(deps, audit, authz, tokens);
  // Services only: a face never receives the store, the vault or the clock (it asks a
  // service). id distinguishes this wiring from another in the same process (Elysia plugin dedup).
  return { id: crypto.randomUUID(), authz, audit, tokens, auth, accounts, auditQuery, vault, policy, serviceAccounts, pgcreds, maintenance, sso, invites, webauthn, tokenHandoff, oidc };
}

export type Services = ReturnType<typeof createServices>;
export type { ServiceDeps, Clock } from "./deps";
export type { Ctx, Principal } from "./principal";
export { systemClock } from "./deps";
export { OPERATOR_CTX } from "./principal";
