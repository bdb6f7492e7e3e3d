/**
 * The database state a token check reads on every request — the token row, its
 * account and the account's roles — remembered per jti for as long as nothing has
 * been committed anywhere (store.generation(): another process, a raw sqlite3 edit,
 * or this process's own writes). Any commit drops every entry, so a revocation, a
 * deactivation or a role change is seen by the very next request, exactly as without
 * the cache; what is saved is three SQLite lookups per request while nothing changes
 * (the common case for validate and forward-auth traffic).
 */
import type { Store } from "../store";
import type { AccountRow } from "../store/accounts";
import type { TokenRow } from "../store/tokens";

export interface LiveState { row: TokenRow | null; acct: AccountRow | null; roles: string[] }

const MAX_ENTRIES = 10_000;

export function createLiveStateCache(store: Store) {
  const map = new Map<string, LiveState>();
  let seen = "";
  return {
    get(jti: string): LiveState {
      const gen = store.generation();
      if (gen !== seen) {
        map.clear();
        seen = gen;
      }
      let e = map.get(jti);
      if (!e) {
        const row = store.tokens.get(jti) ?? null;
        const acct = row ? store.accounts.get(row.account_id) ?? null : null;
        // Frozen: shared by every request until the next commit, so nobody may edit it.
        e = Object.freeze({ row: row && Object.freeze(row), acct: acct && Object.freeze(acct), roles: Object.freeze(acct ? store.accounts.roles(acct.id) : []) as string[] });
        if (map.size >= MAX_ENTRIES) map.clear();
        map.set(jti, e);
      }
      return e;
    },
  };
}
