/**
 * The REST API: one Elysia instance per resource, assembled here. Handlers are thin;
 * errors map in one place; the sealed guard answers 503 for every /v1 route except
 * health, vault status and unseal.
 */
import { Elysia } from "elysia";
import type { Logger } from "../log";
import type { Services } from "../services";
import type { SealedOperation } from "../services/vault";
import { docsRoutes } from "./docs";
import { errorResponse } from "../http/errorResponse";
import { redactPath } from "../http/redact";
import { mapError } from "./errors";
import type { Limiters } from "../http/limiters";
import { accountRoutes } from "./routes/accounts";
import { auditRoutes } from "./routes/audit";
import { authRoutes } from "./routes/auth";
import { pgcredRoutes } from "./routes/pgcreds";
import { oidcRoutes } from "./routes/oidc";
import { policyRoutes } from "./routes/policy";
import { serviceAccountRoutes } from "./routes/serviceAccounts";
import { systemRoutes } from "./routes/system";
import { tokenRoutes } from "./routes/tokens";
import { onboardingRoutes } from "./routes/onboarding";
import { forwardAuthRoutes } from "./routes/forwardAuth";

/** The REST routes of the operations a sealed server serves (services/vault.ts OPEN_WHILE_SEALED). */
const SEALED_OPS: Record<string, SealedOperation> = {
  "/v1/health": "health", "/v1/vault/status": "vault.status", "/v1/vault/unseal": "vault.unseal",
};

export function createApi(s: Services, limiters: Limiters, log: Logger) {
  return new Elysia({ normalize: false, name: "mcias-api", seed: s.id })
    .onError({ as: "global" }, ({ code, error, path }) => mapError(code, error, log, redactPath(path)))
    .onRequest(({ request }) => {
      if (!s.vault.isSealed()) return;
      const path = new URL(request.url).pathname;
      if (path.startsWith("/v1/") && !s.vault.admits(SEALED_OPS[path])) return errorResponse("vault_sealed", "vault is sealed");
    })
    .use(docsRoutes())
    .use(systemRoutes(s, limiters))
    .use(authRoutes(s, limiters))
    .use(tokenRoutes(s, limiters))
    .use(accountRoutes(s))
    .use(serviceAccountRoutes(s))
    .use(pgcredRoutes(s))
    .use(auditRoutes(s))
    .use(policyRoutes(s))
    .use(oidcRoutes(s))
    .use(onboardingRoutes(s, limiters))
    .use(forwardAuthRoutes(s));
}

export type Api = ReturnType<typeof createApi>;
