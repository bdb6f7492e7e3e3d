/**
 * What every service factory is built from (the composition root passes it once), the
 * clock they read time from, and the one time format they write.
 */
import type { Config } from "../config/schema";
import type { Logger } from "../log";
import type { Store } from "../store";
import type { Vault } from "../vault/vault";
import type { VaultShare } from "./vault";
import type { Telemetry } from "../metrics/telemetry";

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

/** RFC 3339 UTC with milliseconds (fixed width: sorts as text). */
export const iso = (ms: number) => new Date(ms).toISOString();
