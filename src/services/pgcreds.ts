/**
 * Postgres credentials of system accounts (SPEC §3, §4). The password is sealed with
 * AES-256-GCM under the master key, with `pgcreds:<account_id>` as additional data:
 * a blob copied to another account's row fails to open (and `mcias db rekey` relies
 * on exactly that AAD). Every read is audited; who sees the password is decided by
 * the policy engine (`pgcreds:read`), who sees only metadata by `pgcreds:read_metadata`.
 */
import { openString, sealString } from "../crypto/aead";
import { AppError, assertThat } from "../errors";
import type { AccountRow } from "../store/accounts";
import type { AuditService } from "./audit";
import type { Authz } from "./authz";
import { iso, type ServiceDeps } from "./deps";
import { type Ctx } from "./principal";
import { createGrants } from "./grants";
import { toPgCredListItem, toPgCredView, type PgCredListItem, type PgCredView } from "./views";

export interface PgCredInput { host: string; port: number; database: string; username: string; password: string }

export const PGCRED_LIMITS = { host: 253, database: 63, username: 63, password: 1024 } as const;

/** The additional data binding a sealed password to its account. Do not change: existing blobs depend on it. */
export const pgcredAad = (accountId: string) => `pgcreds:${accountId}`;

// Control characters and whitespace have no place in a host name or identifier and
// would let a value smuggle extra parameters into a connection string.
const PRINTABLE_NO_SPACE = /^[\x21-\x7e\u00a0-\uffff]+$/u;
const NO_CONTROL = /^[^\x00-\x1f\x7f]+$/u;

/** Checks input from any caller (API after its schema, `mcias db`, UI). Throws bad_request. */
export function validatePgCred(c: PgCredInput): void {
  const str = (v: unknown, name: keyof typeof PGCRED_LIMITS, re: RegExp) => {
    if (typeof v !== "string" || v.length < 1 || v.length > PGCRED_LIMITS[name]) {
      throw new AppError("bad_request", `${name} must be 1..${PGCRED_LIMITS[name]} characters`);
    }
    if (!re.test(v)) throw new AppError("bad_request", `${name} contains characters that are not allowed`);
  };
  str(c.host, "host", PRINTABLE_NO_SPACE);
  if (typeof c.port !== "number" || !Number.isInteger(c.port) || c.port < 1 || c.port > 65535) {
    throw new AppError("bad_request", "port must be an integer 1..65535");
  }
  str(c.database, "database", NO_CONTROL);
  str(c.username, "username", NO_CONTROL);
  str(c.password, "password", NO_CONTROL);
}

export function createPgCredService(deps: ServiceDeps, audit: AuditService, authz: Authz) {
  const { store, vault, clock, log } = deps;
  const now = () => iso(clock.now());
  const target = (r: AccountRow) => ({ id: r.id, username: r.username });
  const resource = (r: AccountRow) => authz.accountResource(r, "pgcreds");

  function load(id: string): AccountRow {
    const row = store.accounts.get(id);
    assertThat(row, "not_found", "account not found");
    return row;
  }

  function assertSystem(row: AccountRow): void {
    if (row.account_type !== "system") throw new AppError("bad_request", "Postgres credentials belong to system accounts only");
  }

  const access = createGrants(deps, audit, authz, {
    repo: store.pgAccess, resourceType: "pgcreds", readAction: "pgcreds:grant", writeAction: "pgcreds:grant",
    granted: "pgcred_access_granted", revoked: "pgcred_access_revoked",
    notSystem: "Postgres credentials belong to system accounts only", noSuchGrant: "no such grant",
    checkGrantee(on, g) {
      if (g.id === on.id) throw new AppError("bad_request", "a system account already reads its own credentials");
    },
  });

  return {
    /**
     * GET /v1/accounts/{id}/pgcreds. A `pgcreds:read` reader gets the password; a
     * `pgcreds:read_metadata` reader (grantee) gets the same object without the key.
     * OPERATOR_CTX (`mcias db pgcreds get`) passes every check.
     */
    get(ctx: Ctx, id: string): PgCredView {
      const row = load(id);
      const res = resource(row);
      const full = authz.can(ctx, "pgcreds:read", res);
      if (!full) authz.require(ctx, "pgcreds:read_metadata", res);
      assertSystem(row);
      const cred = store.pgcreds.get(id);
      assertThat(cred, "not_found", "no Postgres credentials for this account");
      let password: string | undefined;
      if (full) {
        const key = vault.masterKey();
        try {
          password = openString(key, cred.password_enc, pgcredAad(id));
        } catch {
          // Wrong AAD (blob moved from another row), tampering or a different key: never
          // answer with anything else's password, and say clearly what is wrong.
          store.tx(() => audit.record(ctx, "pgcred_read", target(row), { password_included: false, decrypt_failed: true }));
          log.error("stored Postgres password failed to decrypt", { account_id: id });
          throw new AppError("conflict", "stored Postgres password cannot be decrypted for this account; set it again");
        }
      }
      store.tx(() => audit.record(ctx, "pgcred_read", target(row), { password_included: full }));
      return toPgCredView(cred, password);
    },

    /** PUT /v1/accounts/{id}/pgcreds (admin; `mcias db pgcreds set` as operator). */
    set(ctx: Ctx, id: string, input: PgCredInput): void {
      const row = load(id);
      authz.require(ctx, "pgcreds:write", resource(row));
      assertSystem(row);
      if (row.status === "deleted") throw new AppError("conflict", "account is deleted");
      validatePgCred(input);
      const enc = sealString(vault.masterKey(), input.password, pgcredAad(id));
      store.tx(() => {
        const existed = store.pgcreds.get(id) != null;
        store.pgcreds.upsert({ account_id: id, host: input.host, port: input.port, database: input.database, username: input.username, password_enc: enc }, now());
        audit.record(ctx, "pgcred_updated", target(row), {
          host: input.host, port: input.port, database: input.database, username: input.username, created: !existed,
        });
      });
    },

    /** GET /v1/pgcreds: metadata of every credential the caller may read (decided per credential). */
    list(ctx: Ctx): PgCredListItem[] {
      if (!ctx.principal && !ctx.operator) throw new AppError("unauthorized");
      const out: PgCredListItem[] = [];
      for (const cred of store.pgcreds.all()) {
        const acct = store.accounts.get(cred.account_id);
        if (!acct || acct.account_type !== "system") continue;
        if (authz.visible(ctx, "pgcreds:read_metadata", resource(acct))) out.push(toPgCredListItem(cred, acct.username));
      }
      return out;
    },

    /** GET …/pgcreds/access: who manages the credential sees its grantees. */
    listGrants: access.list,
    /** POST …/pgcreds/access: lets another account read the connection metadata (never the password). */
    grant: access.grant,
    /** DELETE …/pgcreds/access/{grantee_id}. 404 when there was no such grant. */
    revokeGrant: access.revoke,
  };
}

export type PgCredService = ReturnType<typeof createPgCredService>;
