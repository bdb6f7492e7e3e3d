/**
 * The database state a request reads again and again — a token row, an account, the
 * account's roles and tags — remembered for as long as nothing has been committed
 * anywhere (store.generation(): another process, a raw sqlite3 edit, or this process's
 * own writes). Any commit drops every entry, so a revocation, a deactivation or a role
 * change is seen by the very next request, exactly as without the cache; what is saved
 * is the SQLite lookups per request while nothing changes (the common case for
 * validate, forward-auth and /v1/auth/me traffic).
 */
import type { Store } from "../store";
import type { AccountRow } from "../store/accounts";
import type { TokenRow } from "../store/tokens";

export interface LiveAccount { acct: AccountRow; roles: string[]; tags: string[] }
export interface LiveState {
  row: TokenRow | null; acct: AccountRow | null; roles: string[]; tags: string[];
  /** The store generation this state was read at (see Principal.generation). */
  generation: string;
}

const MAX_ENTRIES = 10_000;

export function createLiveStateCache(store: Store) {
  const tokens = new Map<string, TokenRow | null>();
  const accounts = new Map<string, LiveAccount | null>();
  let seen = "";
  const fresh = () => {
    const gen = store.generation();
    if (gen !== seen) {
      tokens.clear();
      accounts.clear();
      seen = gen;
    }
    return gen;
  };
  const loadAccount = (id: string): LiveAccount | null => {
    let a = accounts.get(id);
    if (a === undefined) {
      const acct = store.accounts.get(id);
      // Frozen: shared by every request until the next commit, so nobody may edit it.
      a = acct ? Object.freeze({
        acct: Object.freeze(acct),
        roles: Object.freeze(store.accounts.roles(id)) as string[],
        tags: Object.freeze(store.accounts.tags(id)) as string[],
      }) : null;
      if (accounts.size >= MAX_ENTRIES) accounts.clear();
      accounts.set(id, a);
    }
    return a;
  };
  return {
    /** A token row with its account and roles as they are in the database now. */
    get(jti: string): LiveState {
      const generation = fresh();
      let row = tokens.get(jti);
      if (row === undefined) {
        row = store.tokens.get(jti) ?? null;
        if (row) Object.freeze(row);
        if (tokens.size >= MAX_ENTRIES) tokens.clear();
        tokens.set(jti, row);
      }
      const a = row ? loadAccount(row.account_id) : null;
      return { row, acct: a?.acct ?? null, roles: a?.roles ?? [], tags: a?.tags ?? [], generation };
    },
    /**
     * An account with its roles and tags as they are in the database now — or, given
     * the generation this request already read (Principal.generation), as of then
     * without reading it again when nothing has moved since.
     */
    account(id: string, knownGeneration?: string): LiveAccount | null {
      if (knownGeneration === undefined || knownGeneration !== seen) fresh();
      return loadAccount(id);
    },
  };
}

export type LiveStateCache = ReturnType<typeof createLiveStateCache>;
