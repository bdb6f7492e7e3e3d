/**
 * Account administration (SPEC §3 /v1/accounts): create, list, read, status,
 * soft delete, password reset, TOTP removal, roles and tags.
 */
import { AppError, assertThat } from "../errors";
import { hashPassword, passwordProblem } from "../crypto/password";
import { newId } from "../crypto/random";
import type { AccountRow, AccountStatus, AccountType } from "../store/accounts";
import type { AuditService } from "./audit";
import type { Authz } from "./authz";
import { iso, type ServiceDeps } from "./deps";
import { MAX_ROLES, MAX_TAGS, ROLE_RE, TAG_RE, USERNAME_RE, UUID_RE } from "./limits";
import { type Ctx } from "./principal";
import { CLEARED } from "./lockout";
import { toAccountView, type AccountView } from "./views";

export const EMAIL_RE = /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Trims and checks email / display_name; both only for humans; "" means none. */
export function normalizeProfile(type: AccountType, p: { email: string | null; display_name: string | null }): { email: string | null; display_name: string | null } {
  const email = p.email?.trim() || null;
  const display = p.display_name?.trim() || null;
  if (type !== "human" && (email || display)) throw new AppError("bad_request", "only human accounts have an email or display name");
  if (email !== null && (email.length > 254 || !EMAIL_RE.test(email))) throw new AppError("bad_request", "email is not a valid address");
  if (display !== null && (display.length > 128 || /[\u0000-\u001f\u007f]/.test(display))) {
    throw new AppError("bad_request", "display_name must be 1-128 characters without control characters");
  }
  return { email, display_name: display };
}

export function createAccountService(deps: ServiceDeps, audit: AuditService, authz: Authz) {
  const { store, config, clock } = deps;
  const now = () => iso(clock.now());
  const target = (r: AccountRow) => ({ id: r.id, username: r.username });
  const view = (r: AccountRow) => toAccountView(r, store.accounts.roles(r.id), store.accounts.tags(r.id));

  function load(id: string): AccountRow {
    const row = store.accounts.get(id);
    assertThat(row, "not_found", "account not found");
    return row;
  }

  function loadLive(id: string): AccountRow {
    const row = load(id);
    if (row.status === "deleted") throw new AppError("conflict", "account is deleted");
    return row;
  }

  function normalizeRoles(roles: string[]): string[] {
    if (roles.length > MAX_ROLES) throw new AppError("bad_request", `at most ${MAX_ROLES} roles`);
    for (const r of roles) if (!ROLE_RE.test(r)) throw new AppError("bad_request", `invalid role name`);
    return [...new Set(roles)].sort();
  }

  function normalizeTags(tags: string[]): string[] {
    if (tags.length > MAX_TAGS) throw new AppError("bad_request", `at most ${MAX_TAGS} tags`);
    for (const t of tags) if (!TAG_RE.test(t)) throw new AppError("bad_request", `invalid tag (use key:value or a plain word)`);
    return [...new Set(tags)].sort();
  }

  /** Refuses changes that would leave no active admin: the API could never be administered again. */
  function assertKeepsAnAdmin(accountId: string, losing: boolean): void {
    if (!losing) return;
    const others = store.accounts.idsWithRole("admin").filter((id) => id !== accountId && store.accounts.get(id)?.status === "active");
    if (others.length === 0) throw new AppError("conflict", "this is the last active admin");
  }

  function isActiveAdmin(row: AccountRow): boolean {
    return row.status === "active" && store.accounts.roles(row.id).includes("admin");
  }

  function setRoles(ctx: Ctx, row: AccountRow, wanted: string[]): string[] {
    const before = store.accounts.roles(row.id);
    assertKeepsAnAdmin(row.id, isActiveAdmin(row) && !wanted.includes("admin"));
    const t = now();
    for (const r of wanted.filter((r) => !before.includes(r))) {
      store.accounts.addRole(row.id, r, t);
      audit.record(ctx, "role_granted", target(row), { role: r });
    }
    for (const r of before.filter((r) => !wanted.includes(r))) {
      store.accounts.removeRole(row.id, r);
      audit.record(ctx, "role_revoked", target(row), { role: r });
    }
    store.accounts.touch(row.id, t);
    return store.accounts.roles(row.id);
  }

  return {
    async create(ctx: Ctx, input: { username: string; account_type: AccountType; password?: string; roles?: string[]; email?: string | null; display_name?: string | null }): Promise<AccountView> {
      authz.require(ctx, "accounts:create", { type: "account" });
      // SPEC §15: capitals are folded before validation ("Alice" is "alice").
      const username = input.username.toLowerCase();
      const profile = normalizeProfile(input.account_type, { email: input.email ?? null, display_name: input.display_name ?? null });
      if (!USERNAME_RE.test(username)) throw new AppError("bad_request", "username must match ^[a-z0-9][a-z0-9._-]{0,63}$");
      const roles = normalizeRoles(input.roles ?? []);
      let hash: string | null = null;
      if (input.account_type === "human") {
        if (input.password !== undefined) {
          const problem = passwordProblem(input.password, username);
          if (problem) throw new AppError("bad_request", problem);
          hash = await hashPassword(input.password, config.argon2);
        }
      } else if (input.password !== undefined) {
        throw new AppError("bad_request", "system accounts have no password");
      }
      const id = newId();
      return store.tx(() => {
        if (store.accounts.getByUsername(username)) throw new AppError("conflict", "username is taken");
        if (profile.email && store.accounts.getByEmail(profile.email)) throw new AppError("conflict", "email is taken");
        const t = now();
        store.accounts.insert({ id, username, account_type: input.account_type, password_hash: hash, now: t, ...profile });
        for (const r of roles) store.accounts.addRole(id, r, t);
        const row = load(id);
        audit.record(ctx, "account_created", target(row), { account_type: input.account_type, roles });
        return view(row);
      });
    },

    /** With `username`: that account (any status) or nothing; the other filters still apply. */
    list(ctx: Ctx, filter: { status?: AccountStatus; account_type?: AccountType; username?: string } = {}): AccountView[] {
      authz.require(ctx, "accounts:read", { type: "account" });
      if (filter.username !== undefined) {
        const row = store.accounts.getByUsername(filter.username);
        const keep = row && (!filter.status || row.status === filter.status) && (!filter.account_type || row.account_type === filter.account_type);
        return keep ? [view(row)] : [];
      }
      return store.accounts.list({ status: filter.status, accountType: filter.account_type }).map(view);
    },

    get(ctx: Ctx, id: string): AccountView {
      const row = load(id);
      authz.require(ctx, "accounts:read", authz.accountResource(row));
      return view(row);
    },

    /**
     * The id of the account `ref` names — an id (any case) or a username — for every
     * face that takes either (SPEC §17: `--id` takes an id or a username; the console's
     * grantee and audit filters; `?account=`). Deleted accounts included. A UUID-shaped
     * ref is tried as an id first (it is also a valid username). Knowing an id already
     * is no disclosure; resolving a username needs `accounts:read` on it, and an unknown
     * name is refused like an unreadable one to whoever may not list accounts.
     */
    resolve(ctx: Ctx, ref: string): string {
      const r = ref.trim();
      if (r === "") throw new AppError("bad_request", "name an account (id or username)");
      const byId = UUID_RE.test(r.toLowerCase()) ? store.accounts.get(r.toLowerCase()) : undefined;
      if (byId) return byId.id;
      const row = store.accounts.getByUsername(r.toLowerCase());
      if (!row) authz.require(ctx, "accounts:read", { type: "account" });
      assertThat(row, "not_found", "account not found");
      authz.require(ctx, "accounts:read", authz.accountResource(row));
      return row.id;
    },

    getByUsername(ctx: Ctx, username: string): AccountView {
      const row = store.accounts.getByUsername(username);
      // An unknown name is refused like an unreadable one to whoever may not list accounts:
      // otherwise 404 vs 403 tells any signed-in user which usernames exist.
      if (!row) authz.require(ctx, "accounts:read", { type: "account" });
      assertThat(row, "not_found", "account not found");
      authz.require(ctx, "accounts:read", authz.accountResource(row));
      return view(row);
    },

    /**
     * PATCH email / display_name (SPEC §15): human accounts only; `null` clears a field;
     * email unique case-insensitively. Audited as account_updated with the changed
     * field names (not their values).
     */
    updateProfile(ctx: Ctx, id: string, input: { email?: string | null; display_name?: string | null }): AccountView {
      const row = loadLive(id);
      authz.require(ctx, "accounts:update", authz.accountResource(row));
      const next = normalizeProfile(row.account_type, {
        email: input.email === undefined ? row.email : input.email,
        display_name: input.display_name === undefined ? row.display_name : input.display_name,
      });
      return store.tx(() => {
        const fresh = loadLive(id);
        const changed = (["email", "display_name"] as const).filter((k) => (fresh[k] ?? null) !== next[k]);
        if (changed.length === 0) return view(fresh);
        if (next.email) {
          const holder = store.accounts.getByEmail(next.email);
          if (holder && holder.id !== id) throw new AppError("conflict", "email is taken");
        }
        store.accounts.setProfile(id, next, now());
        audit.record(ctx, "account_updated", target(fresh), { fields: [...changed] });
        return view(load(id));
      });
    },

    /** PATCH status. Going inactive revokes every token; going active clears lockout. */
    updateStatus(ctx: Ctx, id: string, status: "active" | "inactive"): AccountView {
      const row = loadLive(id);
      authz.require(ctx, "accounts:update", authz.accountResource(row));
      return store.tx(() => {
        const fresh = loadLive(id);
        if (status === "inactive") assertKeepsAnAdmin(id, isActiveAdmin(fresh));
        const t = now();
        store.accounts.setStatus(id, status, t);
        let revoked: string[] = [];
        if (status === "inactive") revoked = store.tokens.revokeAllFor(id, t, "account_inactive");
        else store.accounts.setLockoutState(id, CLEARED);
        audit.record(ctx, "account_updated", target(fresh), { status, from: fresh.status, tokens_revoked: revoked.length });
        return view(load(id));
      });
    },

    /** Soft delete: status=deleted, tokens revoked, username stays reserved. */
    delete(ctx: Ctx, id: string): void {
      const row = loadLive(id);
      authz.require(ctx, "accounts:delete", authz.accountResource(row));
      store.tx(() => {
        const fresh = loadLive(id);
        assertKeepsAnAdmin(id, isActiveAdmin(fresh));
        const t = now();
        store.accounts.setStatus(id, "deleted", t);
        const revoked = store.tokens.revokeAllFor(id, t, "account_deleted");
        audit.record(ctx, "account_deleted", target(fresh), { tokens_revoked: revoked.length });
        // A deleted account holds no delegation or credential grant any more.
        const gone = { grantee_id: id, grantee: fresh.username, reason: "account_deleted" };
        for (const on of store.delegates.revokeAllForGrantee(id)) {
          const sys = store.accounts.get(on);
          if (sys) audit.record(ctx, "token_delegate_revoked", target(sys), gone);
        }
        for (const on of store.pgAccess.revokeAllForGrantee(id)) {
          const sys = store.accounts.get(on);
          if (sys) audit.record(ctx, "pgcred_access_revoked", target(sys), gone);
        }
      });
    },

    async setPassword(ctx: Ctx, id: string, password: string): Promise<void> {
      const row = loadLive(id);
      authz.require(ctx, "accounts:update", authz.accountResource(row));
      if (row.account_type !== "human") throw new AppError("bad_request", "system accounts have no password");
      const problem = passwordProblem(password, row.username);
      if (problem) throw new AppError("bad_request", problem);
      const hash = await hashPassword(password, config.argon2);
      store.tx(() => {
        const t = now();
        store.accounts.setPasswordHash(id, hash, t);
        store.accounts.setLockoutState(id, CLEARED);
        const revoked = store.tokens.revokeAllFor(id, t, "password_reset");
        audit.record(ctx, "password_changed", target(row), { self: false, tokens_revoked: revoked.length });
      });
    },

    removeTotp(ctx: Ctx, id: string): void {
      const row = loadLive(id);
      authz.require(ctx, "totp:remove", authz.accountResource(row));
      store.tx(() => {
        store.accounts.clearTotp(id, now());
        // Recovery codes stand in for TOTP codes: without TOTP they mean nothing.
        store.recoveryCodes.clear(id);
        audit.record(ctx, "totp_removed", target(row), {});
      });
    },

    getRoles(ctx: Ctx, id: string): string[] {
      const row = load(id);
      authz.require(ctx, "accounts:read", authz.accountResource(row));
      return store.accounts.roles(id);
    },

    setRoles(ctx: Ctx, id: string, roles: string[]): string[] {
      const row = loadLive(id);
      authz.require(ctx, "roles:write", authz.accountResource(row));
      const wanted = normalizeRoles(roles);
      return store.tx(() => setRoles(ctx, loadLive(id), wanted));
    },

    grantRole(ctx: Ctx, id: string, role: string): string[] {
      const row = loadLive(id);
      authz.require(ctx, "roles:write", authz.accountResource(row));
      const [r] = normalizeRoles([role]);
      return store.tx(() => {
        const fresh = loadLive(id);
        return setRoles(ctx, fresh, [...new Set([...store.accounts.roles(id), r!])]);
      });
    },

    revokeRole(ctx: Ctx, id: string, role: string): string[] {
      const row = loadLive(id);
      authz.require(ctx, "roles:write", authz.accountResource(row));
      return store.tx(() => {
        const current = store.accounts.roles(id);
        if (!current.includes(role)) throw new AppError("not_found", "account does not hold that role");
        return setRoles(ctx, loadLive(id), current.filter((x) => x !== role));
      });
    },

    getTags(ctx: Ctx, id: string): string[] {
      const row = load(id);
      authz.require(ctx, "accounts:read", authz.accountResource(row));
      return store.accounts.tags(id);
    },

    setTags(ctx: Ctx, id: string, tags: string[]): string[] {
      const row = loadLive(id);
      authz.require(ctx, "tags:write", authz.accountResource(row));
      const wanted = normalizeTags(tags);
      return store.tx(() => {
        const before = store.accounts.tags(id);
        store.accounts.setTags(id, wanted);
        store.accounts.touch(id, now());
        audit.record(ctx, "tags_updated", target(row), { before, after: wanted });
        return store.accounts.tags(id);
      });
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
