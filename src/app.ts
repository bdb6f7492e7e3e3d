/**
 * The composition root: builds store, vault, services, limiters and the HTTP app
 * once. `serve` calls it with the real config; tests call it with a temp database.
 */
import { Elysia } from "elysia";
import { createApi } from "./api/app";
import { createLimiters, type Limiters } from "./http/limiters";
import type { Config } from "./config/schema";
import { createLogger, type Logger } from "./log";
import { createServices, systemClock, type Clock, type Services } from "./services";
import { createStore, migrate, openDatabase, type Store } from "./store";
import { createVault } from "./vault/vault";
import { createUi } from "./ui";
import { createOidc, OIDC_ROUTE_TEMPLATES } from "./oidc";
import { createTelemetry } from "./metrics/telemetry";
import { createRouteMatcher } from "./http/routeTemplate";

export interface AppOptions {
  config: Config;
  log?: Logger;
  clock?: Clock;
  /** Where the passphrase variable is read from (defaults to the process environment). */
  env?: Record<string, string | undefined>;
}

export interface App {
  services: Services;
  store: Store;
  limiters: Limiters;
  log: Logger;
  /** Handles one request (client IP already recorded by the server). */
  handle(req: Request): Promise<Response>;
  /** The route template a request matched ("unmatched" if none): a bounded metrics label. */
  routeOf(method: string, path: string): string;
  /** Records one served request in the metrics. */
  observe(route: string, method: string, status: number, seconds: number): void;
  /** The Prometheus text exposition of every series (SPEC §19). */
  metrics(): string;
  close(): void;
}

export async function createApp(opts: AppOptions): Promise<App> {
  const log = opts.log ?? createLogger();
  const clock = opts.clock ?? systemClock;
  const db = openDatabase(opts.config.database.path);
  migrate(db);
  const store = createStore(db);
  const vault = createVault();
  const { telemetry, expose } = createTelemetry({ sealed: () => vault.isSealed(), dbPath: opts.config.database.path });
  const services = createServices({ store, vault, config: opts.config, clock, log, telemetry });
  await services.vault.startup(opts.env ?? Bun.env);
  // Not awaited: the decoy hash (~one Argon2id) is computed while the server starts
  // listening; a login that arrives first awaits the same promise, so no login path is
  // ever faster than a real verify.
  void services.auth.warmUp();
  const limiters = createLimiters(opts.config.rateLimit, () => clock.now(), (name) => telemetry.rateLimited(name));
  const root = new Elysia({ normalize: false })
    .use(createApi(services, limiters, log))
    .use(createUi(services, limiters, log));
  const routeOf = createRouteMatcher([...root.routes, ...OIDC_ROUTE_TEMPLATES]);
  // The OIDC provider (a node/Koa app) is dispatched before Elysia: its paths are its own.
  const oidc = createOidc(services, log);
  return {
    services,
    store,
    limiters,
    log,
    handle: (req) => (oidc.matches(new URL(req.url).pathname) ? oidc.handle(req) : root.handle(req)),
    routeOf,
    observe: (route, method, status, seconds) => telemetry.request(route, method, status, seconds),
    metrics: expose,
    close() {
      vault.seal();
      store.close();
    },
  };
}
