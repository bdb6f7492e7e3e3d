/**
 * System (service) accounts (SPEC §2, §4): issuing their one valid token, and the
 * admin-managed list of human delegates who may issue and revoke it.
 *
 * Who may issue is decided by the policy engine only (built-in rules -1, -4, -5);
 * the relationships it needs (delegates, role named like the account) are loaded
 * fresh on every call by `authz.accountResource`, so a revoked delegation or role
 * takes effect on the next request.
 */
import { AppError, assertThat } from "../errors";
import type { AccountRow } from "../store/accounts";
import type { AuditService } from "./audit";
import type { Authz } from "./authz";
import { iso, type ServiceDeps } from "./deps";
import { type Ctx } from "./principal";
import type { IssuedToken, TokenService } from "./tokens";
import { createGrants } from "./grants";
import { toAccountView, type AccountView } from "./views";

export function createServiceAccountService(deps: ServiceDeps, audit: AuditService, authz: Authz, tokens: TokenService) {
  const { store, clock } = deps;
  const target = (r: AccountRow) => ({ id: r.id, username: r.username });

  function load(id: string): AccountRow {
    const row = store.accounts.get(id);
    assertThat(row, "not_found", "account not found");
    return row;
  }

  function assertSystem(row: AccountRow): void {
    if (row.account_type !== "system") throw new AppError("bad_request", "not a system account");
  }

  const delegates = createGrants(deps, audit, authz, {
    repo: store.delegates, resourceType: "account", readAction: "delegates:read", writeAction: "delegates:write",
    granted: "token_delegate_granted", revoked: "token_delegate_revoked",
    notSystem: "not a system account", noSuchGrant: "no such delegate",
    // Delegation is how people, not services, manage a service.
    checkGrantee(_on, g) {
      if (g.account_type !== "human") throw new AppError("bad_request", "a delegate must be a human account");
    },
  });

  return {
    /**
     * System accounts the caller may manage (all of them for an admin; a role-named
     * human or a delegate sees theirs). Decided by the engine without auditing the
     * non-matches: a listing is not an attempt.
     */
    listManageable(ctx: Ctx): AccountView[] {
      const rows = store.accounts.list({ accountType: "system" });
      return rows.filter((r) => authz.visible(ctx, "tokens:issue", authz.accountResource(r))).map((r) => toAccountView(r, store.accounts.roles(r.id), store.accounts.tags(r.id)));
    },

    /**
     * POST /v1/accounts/{id}/token. Revoking the previous tokens and inserting the new
     * row happen in one BEGIN IMMEDIATE transaction, so concurrent calls serialize and
     * exactly one token stays valid.
     */
    async issueToken(ctx: Ctx, id: string, input: { audience?: string } = {}): Promise<IssuedToken> {
      const row = load(id);
      authz.require(ctx, "tokens:issue", authz.accountResource(row, "token"));
      assertSystem(row);
      if (row.status !== "active") throw new AppError("conflict", "account is not active");
      const minted = await tokens.mint(row, { audience: input.audience });
      return store.tx(() => {
        const fresh = load(id);
        if (fresh.status !== "active") throw new AppError("conflict", "account is not active");
        const replaced = store.tokens.revokeAllFor(id, iso(clock.now()), "replaced");
        minted.persist();
        for (const jti of replaced) audit.record(ctx, "token_revoked", target(fresh), { jti, reason: "replaced", by_jti: minted.issued.jti });
        audit.record(ctx, "token_issued", target(fresh), { jti: minted.issued.jti, replaced: replaced.length, ...(input.audience !== undefined ? { audience: input.audience } : {}) });
        return minted.issued;
      });
    },

    /** GET …/token/delegates (admin). */
    listDelegates: delegates.list,
    /** POST …/token/delegates (admin). Idempotent: `created` is false when the grant existed. */
    grantDelegate: delegates.grant,
    /** DELETE …/token/delegates/{grantee_id} (admin). 404 when there was no such delegation. */
    revokeDelegate: delegates.revoke,
  };
}

export type ServiceAccountService = ReturnType<typeof createServiceAccountService>;
