/** Who is acting: the authenticated caller and the request context every service takes. */
import type { AccountStatus, AccountType } from "../store/accounts";

/** The authenticated caller, loaded from the database at request time (never from token claims). */
export interface Principal {
  id: string;
  username: string;
  account_type: AccountType;
  status: AccountStatus;
  roles: string[];
  tags: string[];
  /** The presented token, when the caller authenticated with one. */
  jti?: string;
  tokenIssuedAt?: number;
  tokenExpiresAt?: number;
  /** The presented token's last primary authentication (ms) and audience (SPEC §18). */
  authTime?: number;
  audience?: string;
  /**
   * The store generation (store.generation()) at which this caller's state was read:
   * caches consulted later in the same request (policy rules, the account) compare
   * with it instead of reading the generation again — one read per request, and every
   * answer as of that read or newer.
   */
  generation?: string;
}

/** Who is acting, from where. `mcias db` acts as a principal-less "mcias-db" actor. */
export interface Ctx {
  ip: string | null;
  principal: Principal | null;
  /** Overrides the actor name in audit rows (e.g. "mcias-db"). */
  actorName?: string;
  /**
   * Break-glass operator (`mcias db`): whoever can read the database file and the
   * master key already holds everything, so the policy engine is not consulted.
   */
  operator?: boolean;
}

/** The context `mcias db` acts in. */
export const OPERATOR_CTX: Ctx = { ip: null, principal: null, actorName: "mcias-db", operator: true };
