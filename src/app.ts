/**
 * The composition root: `createCore` builds store, vault and services over an open
 * database — the one wiring `serve` (through `createApp`) and `mcias db` share —
 * and `createApp` adds migration, start-up, limiters and the faces. `serve` calls it
 * with the real config; tests call it with a temp database.
 */
import { Elysia } from "elysia";
import { createApi } from "./api/app";
import { createLimiters, type LimiterFactory, type Limiters } from "./http/limiters";
import type { Config } from "./config/schema";
import { createLogger, type Logger } from "./log";
import { createServices, systemClock, type Clock, type Services } from "./services";
import { createStore, migrate, openDatabase, type Store } from "./store";
import { createVault } from "./vault/vault";
import type { Telemetry } from "./metrics/telemetry";
import { createUi } from "./ui";
import { createOidc, OIDC_ROUTE_TEMPLATES } from "./oidc";
import { createTelemetry } from "./metrics/telemetry";
import { createRouteMatcher } from "./http/routeTemplate";
import { withRequestInfo, type RequestInfo } from "./http/requestInfo";
import { pathOf } from "./http/path";
import type { VaultShare } from "./services/vault";

export interface AppOptions {
  config: Config;
  log?: Logger;
  clock?: Clock;
  /** Where the passphrase variable is read from (defaults to the process environment). */
  env?: Record<string, string | undefined>;
  /**
   * Serving threads (`[server] workers` > 1): what this thread shares with the others,
   * built by src/workers/shared.ts (`appShared`).
   */
  shared?: {
    /** "main" unseals at start and publishes; "worker" follows what main published. */
    role: "main" | "worker";
    /** Per-IP limiters over buckets every thread sees. */
    limiter: LimiterFactory;
    vault: VaultShare;
    /** The console's CSRF key, the same in every thread. */
    csrfKey: Uint8Array;
  };
}

export interface App {
  services: Services;
  store: Store;
  limiters: Limiters;
  log: Logger;
  /**
   * Handles one request from client `ip` (the listener's resolution; tests pass their
   * own). The only way in: any client-sent value in the IP slot is replaced.
   */
  handle(req: Request, info?: RequestInfo): Promise<Response>;
  /** The route template a request matched ("unmatched" if none): a bounded metrics label. */
  routeOf(method: string, path: string): string;
  /** Records one served request in the metrics. */
  observe(route: string, method: string, status: number, seconds: number): void;
  /** The Prometheus text exposition of every series (SPEC §19). */
  metrics(): string;
  close(): void;
}

export interface CoreOptions {
  /** An open database (`openDatabase`, or `mcias db`'s exclusive/creating variants). */
  db: Parameters<typeof createStore>[0];
  config: Config;
  log: Logger;
  clock?: Clock;
  telemetry?: Telemetry;
  vaultShare?: VaultShare;
}

export interface Core {
  store: Store;
  services: Services;
  /** Seals the vault (the key leaves memory) and closes the database. */
  close(): void;
}

/** Store, vault and services over an open database: built here and nowhere else. */
export function createCore(opts: CoreOptions): Core {
  const store = createStore(opts.db);
  const vault = createVault();
  const services = createServices({ store, vault, config: opts.config, clock: opts.clock ?? systemClock, log: opts.log, telemetry: opts.telemetry, vaultShare: opts.vaultShare });
  return {
    store,
    services,
    close() {
      vault.seal();
      store.close();
    },
  };
}

export async function createApp(opts: AppOptions): Promise<App> {
  const log = opts.log ?? createLogger();
  const clock = opts.clock ?? systemClock;
  const db = openDatabase(opts.config.database.path);
  migrate(db);
  let sealed = () => true;
  const { telemetry, expose } = createTelemetry({ sealed: () => sealed(), dbPath: opts.config.database.path });
  const shared = opts.shared;
  const core = createCore({ db, config: opts.config, log, clock, telemetry, vaultShare: shared?.vault });
  const { store, services } = core;
  sealed = () => services.vault.isSealed();
  if (shared?.role === "worker") services.vault.joinShared();
  else {
    await services.vault.startup(opts.env ?? Bun.env);
    if (shared) services.vault.publishShared();
  }
  const limiters = createLimiters(
    opts.config.rateLimit, () => clock.now(), (name) => telemetry.rateLimited(name),
    shared?.limiter,
  );
  const root = new Elysia({ normalize: false })
    .use(createApi(services, limiters, log))
    .use(createUi(services, limiters, log, shared?.csrfKey));
  const routeOf = createRouteMatcher([...root.routes, ...OIDC_ROUTE_TEMPLATES]);
  // The OIDC provider (a node/Koa app) is dispatched before Elysia: its paths are its own.
  const oidc = createOidc(services, log);
  return {
    services,
    store,
    limiters,
    log,
    handle: (req, info) => {
      const r = withRequestInfo(req, info ?? { ip: null });
      return oidc.matches(info?.path ?? pathOf(r.url)) ? oidc.handle(r) : root.handle(r);
    },
    routeOf,
    observe: (route, method, status, seconds) => telemetry.request(route, method, status, seconds),
    metrics: expose,
    close: core.close,
  };
}
