import type { Config } from "../config/schema";
import type { Logger } from "../log";
import type { Store } from "../store";
import type { Vault } from "../vault/vault";
import type { VaultShare } from "./vault";
import type { Telemetry } from "../metrics/telemetry";
import type { AccountStatus, AccountType } from "../store/accounts";

export interface Clock { now(): number }
export const systemClock: Clock = { now: () => Date.now() };

/** Everything a service factory may depend on; built once in the composition root. */
export interface ServiceDeps {
  store: Store;
  vault: Vault;
  config: Config;
  clock: Clock;
  log: Logger;
  /** Counters for /metrics (SPEC §19); absent in `mcias db`. */
  telemetry?: Telemetry;
  /** Vault state shared with other serving threads (`[server] workers` > 1). */
  vaultShare?: VaultShare;
}

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
  tokenExpiresAt?: number;
  /** The presented token's last primary authentication (ms) and audience (SPEC §18). */
  authTime?: number;
  audience?: string;
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

export const iso = (ms: number) => new Date(ms).toISOString();

export const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const ROLE_RE = USERNAME_RE;
export const TAG_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(:[A-Za-z0-9._\/-]{1,128})?$/;
export const MAX_ROLES = 64;
export const MAX_TAGS = 64;

/**
 * Floor for a new master passphrase (SPEC §18): it guards every secret offline, so it is
 * longer than the account-password floor. Counted in characters (code points).
 */
export const MIN_MASTER_PASSPHRASE = 16;

/** An audience (SPEC §18): an app's name or URL, printable ASCII without spaces. */
export const AUDIENCE_RE = /^[\x21-\x7e]{1,256}$/;
