/**
 * The one shape of an account-to-account grant on a system account (SPEC §4):
 * service-account delegates (who may issue and revoke its token) and Postgres
 * credential access (who may read its connection metadata). Both are listed, granted
 * idempotently and revoked through this one use case; each kind names its actions,
 * its audit events, its table and who may be a grantee.
 */
import type { Action, Resource } from "../policy";
import { AppError, assertThat } from "../errors";
import type { AccountRow } from "../store/accounts";
import type { GrantRepo } from "../store/delegates";
import type { AuditEventType, AuditService } from "./audit";
import type { Authz } from "./authz";
import { iso, type ServiceDeps } from "./deps";
import type { Ctx } from "./principal";
import { toGrantView, type GrantView } from "./views";

export interface GrantKind {
  repo: GrantRepo;
  resourceType: Resource["type"];
  readAction: Action;
  writeAction: Action;
  granted: AuditEventType;
  revoked: AuditEventType;
  /** bad_request message for a target that is not a system account. */
  notSystem: string;
  /** not_found message for revoking a grant that does not exist. */
  noSuchGrant: string;
  /** Refuses a grantee this kind does not allow (beyond "exists and is not deleted"). */
  checkGrantee(on: AccountRow, grantee: AccountRow): void;
}

export function createGrants(deps: ServiceDeps, audit: AuditService, authz: Authz, kind: GrantKind) {
  const { store, clock } = deps;
  const target = (r: AccountRow) => ({ id: r.id, username: r.username });

  /** The system account a grant is on, after the caller's permission: 404 → 403 → 400. */
  function loadFor(ctx: Ctx, id: string, action: Action): AccountRow {
    const row = store.accounts.get(id);
    assertThat(row, "not_found", "account not found");
    authz.require(ctx, action, authz.accountResource(row, kind.resourceType));
    if (row.account_type !== "system") throw new AppError("bad_request", kind.notSystem);
    return row;
  }

  const views = (accountId: string): GrantView[] =>
    kind.repo.list(accountId).map((g) => toGrantView(g, store.accounts.get(g.grantee_id)?.username ?? ""));

  return {
    list(ctx: Ctx, id: string): GrantView[] {
      loadFor(ctx, id, kind.readAction);
      return views(id);
    },

    /** Idempotent: `created` is false when the grant existed. */
    grant(ctx: Ctx, id: string, granteeId: string): { grant: GrantView; created: boolean } {
      const row = loadFor(ctx, id, kind.writeAction);
      if (row.status === "deleted") throw new AppError("conflict", "account is deleted");
      const grantee = store.accounts.get(granteeId);
      assertThat(grantee, "not_found", "grantee account not found");
      kind.checkGrantee(row, grantee);
      if (grantee.status === "deleted") throw new AppError("conflict", "grantee account is deleted");
      return store.tx(() => {
        const created = kind.repo.grant(id, grantee.id, iso(clock.now()), ctx.principal?.id ?? null);
        if (created) audit.record(ctx, kind.granted, target(row), { grantee_id: grantee.id, grantee: grantee.username });
        const g = kind.repo.list(id).find((x) => x.grantee_id === grantee.id)!;
        return { grant: toGrantView(g, grantee.username), created };
      });
    },

    /** 404 when there was no such grant. */
    revoke(ctx: Ctx, id: string, granteeId: string): void {
      const row = loadFor(ctx, id, kind.writeAction);
      store.tx(() => {
        if (!kind.repo.revoke(id, granteeId)) throw new AppError("not_found", kind.noSuchGrant);
        const g = store.accounts.get(granteeId);
        audit.record(ctx, kind.revoked, target(row), { grantee_id: granteeId, grantee: g?.username ?? null });
      });
    },
  };
}

export type Grants = ReturnType<typeof createGrants>;
