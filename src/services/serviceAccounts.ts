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
import { iso, type Ctx, type ServiceDeps } from "./context";
import type { IssuedToken, TokenService } from "./tokens";
import { toGrantView, type GrantView } from "./views-svc";
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

  /** A delegate must be a live human: delegation is how people, not services, manage a service. */
  function loadGrantee(granteeId: string): AccountRow {
    const g = store.accounts.get(granteeId);
    assertThat(g, "not_found", "grantee account not found");
    if (g.account_type !== "human") throw new AppError("bad_request", "a delegate must be a human account");
    if (g.status === "deleted") throw new AppError("conflict", "grantee account is deleted");
    return g;
  }

  function grantViews(accountId: string): GrantView[] {
    return store.delegates.list(accountId).map((g) => toGrantView(g, store.accounts.get(g.grantee_id)?.username ?? ""));
  }

  return {
    /**
     * System accounts the caller may manage (all of them for an admin; a role-named
     * human or a delegate sees theirs). Decided by the engine without auditing the
     * non-matches: a listing is not an attempt.
     */
    listManageable(ctx: Ctx): AccountView[] {
      const rows = store.accounts.list({ accountType: "system" });
      const p = ctx.principal;
      const visible = ctx.operator ? rows : p ? rows.filter((r) => authz.decide(p, "tokens:issue", authz.accountResource(r)).effect === "allow") : [];
      return visible.map((r) => toAccountView(r, store.accounts.roles(r.id), store.accounts.tags(r.id)));
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
    listDelegates(ctx: Ctx, id: string): GrantView[] {
      const row = load(id);
      authz.require(ctx, "delegates:read", authz.accountResource(row));
      assertSystem(row);
      return grantViews(id);
    },

    /** POST …/token/delegates (admin). Idempotent: `created` is false when the grant existed. */
    grantDelegate(ctx: Ctx, id: string, granteeId: string): { grant: GrantView; created: boolean } {
      const row = load(id);
      authz.require(ctx, "delegates:write", authz.accountResource(row));
      assertSystem(row);
      if (row.status === "deleted") throw new AppError("conflict", "account is deleted");
      const grantee = loadGrantee(granteeId);
      return store.tx(() => {
        const created = store.delegates.grant(id, grantee.id, iso(clock.now()), ctx.principal?.id ?? null);
        if (created) audit.record(ctx, "token_delegate_granted", target(row), { grantee_id: grantee.id, grantee: grantee.username });
        const g = store.delegates.list(id).find((x) => x.grantee_id === grantee.id)!;
        return { grant: toGrantView(g, grantee.username), created };
      });
    },

    /** DELETE …/token/delegates/{grantee_id} (admin). 404 when there was no such delegation. */
    revokeDelegate(ctx: Ctx, id: string, granteeId: string): void {
      const row = load(id);
      authz.require(ctx, "delegates:write", authz.accountResource(row));
      assertSystem(row);
      store.tx(() => {
        if (!store.delegates.revoke(id, granteeId)) throw new AppError("not_found", "no such delegate");
        const g = store.accounts.get(granteeId);
        audit.record(ctx, "token_delegate_revoked", target(row), { grantee_id: granteeId, grantee: g?.username ?? null });
      });
    },
  };
}

export type ServiceAccountService = ReturnType<typeof createServiceAccountService>;
