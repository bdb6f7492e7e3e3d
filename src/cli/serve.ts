import { defineCommand } from "citty";
import { createApp } from "../app";
import { prepareDevInstance } from "../config/devDefault";
import { ConfigError, loadConfigFile } from "../config/load";
import type { Config } from "../config/schema";
import { parseHostPort } from "../config/validate";
import { randomPassword } from "../crypto/random";
import { createLogger } from "../log";
import { startServer } from "../server";
import type { RunningGrpcServer } from "../grpc/server";
import { startMetricsListener, type MetricsListener } from "../metrics/listener";
import { KeyfileError } from "../vault/masterKey";
import { WeakPassphraseError, WrongMasterKeyError } from "../services/vault";
import { SchemaTooNewError } from "../store";
import { configPathFrom } from "./config";
import { ExitError } from "./run";
import { appShared, createSharedState } from "../workers/shared";
import { startupDone } from "../env";
import { startWorkers, type WorkerPool } from "../workers/pool";

let serving = false;
export const isServing = () => serving;

const fail = (msg: string) => new ExitError(1, `mcias: ${msg}`);

export const serveCommand = defineCommand({
  meta: { name: "serve", description: "Run the MCIAS HTTPS server (no --config: a development instance in ./mcias-data)" },
  args: {
    config: { type: "string", description: "TOML config file (default: $MCIAS_CONFIG, else a development instance)" },
    listen: { type: "string", description: "Override server.listen_addr (host:port; port 0 picks a free one)" },
    "check-config": { type: "boolean", description: "Validate the config and exit" },
  },
  async run({ args }) {
    const log = createLogger();
    const path = configPathFrom(args.config);
    let config: Config;
    try {
      config = path ? loadConfigFile(path) : await prepareDevInstance();
    } catch (e) {
      if (e instanceof ConfigError) throw fail(`config error: ${e.message}`);
      throw e;
    }
    if (args.listen) {
      const hp = parseHostPort(args.listen);
      if (!hp) throw fail(`--listen: "${args.listen}" is not a host:port`);
      config = { ...config, server: { ...config.server, listenHost: hp.host, listenPort: hp.port } };
    }
    if (args["check-config"]) {
      console.log(`config ok: ${config.source}`);
      return;
    }

    // [server] workers > 1: worker threads share the port, limits and vault state.
    const shared = config.server.workers > 1 ? createSharedState() : undefined;
    let pool: WorkerPool | undefined;
    let app: Awaited<ReturnType<typeof createApp>>;
    try {
      app = await createApp({ config, log, shared: shared && appShared(shared, "main", () => pool?.vaultChanged()) });
    } catch (e) {
      if (e instanceof KeyfileError || e instanceof WrongMasterKeyError || e instanceof WeakPassphraseError || e instanceof SchemaTooNewError) throw fail(e.message);
      throw e;
    }
    if (config.dev) await bootstrapDevAdmin(app);
    let server;
    try {
      server = startServer(app, config);
    } catch (e) {
      app.close();
      throw fail(`cannot listen on ${config.server.listenHost}:${config.server.listenPort}: ${(e as Error).message}`);
    }
    if (shared) {
      const main = app;
      try {
        pool = await startWorkers({
          count: config.server.workers, config, port: server.port, state: shared, log,
          onVault: () => { main.services.vault.status(); pool?.vaultChanged(); },
        });
      } catch (e) {
        await server.stop(0);
        app.close();
        throw fail(`cannot start worker threads: ${(e as Error).message}`);
      }
    }
    let metrics: MetricsListener | undefined;
    if (config.server.metricsAddr) {
      const m = config.server.metricsAddr;
      try {
        metrics = startMetricsListener(m.host, m.port, () => (pool ? pool.metrics(app.metrics()) : app.metrics()));
      } catch (e) {
        await Promise.all([server.stop(0), pool?.stop()]);
        app.close();
        throw fail(`cannot listen on server.metrics_addr ${m.host}:${m.port}: ${(e as Error).message}`);
      }
      log.info("metrics listening", { url: metrics.url });
    }
    let grpc: RunningGrpcServer | undefined;
    if (config.server.grpcAddr) {
      const hp = parseHostPort(config.server.grpcAddr)!;
      try {
        // Loaded only when configured: gRPC's libraries cost start time and memory.
        const { startGrpcServer } = await import("../grpc/server");
        grpc = await startGrpcServer(app, config, hp);
      } catch (e) {
        await server.stop(0);
        app.close();
        throw fail(`cannot listen on ${config.server.grpcAddr} (grpc_addr): ${(e as Error).message}`);
      }
      log.info("grpc listening", { address: grpc.address });
    }
    serving = true;
    if (config.dev) {
      console.log(`\n  *** MCIAS DEVELOPMENT INSTANCE — not for production ***\n  data: ${config.source}\n  url:  ${server.url}\n  passkeys: ${config.webauthn.origins.join(", ")} (WebAuthn never works on an IP address)\n`);
    }

    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info("shutting down", { signal });
      // REST (and its workers) and gRPC drain together under the same deadline.
      const [forced, workersForced, rpcForced] = await Promise.all([server.stop(), pool?.stop(), grpc?.stop()]);
      if (forced || workersForced || rpcForced) log.warn("drain deadline passed; closed the connections still open");
      await metrics?.stop();
      app.close();
      log.info("stopped");
      process.exit(0);
    };
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
    process.on("SIGINT", () => void shutdown("SIGINT"));
    process.on("SIGHUP", () => {
      const failed = (e: unknown) => log.error("TLS reload failed; keeping the old certificate", { error: (e as Error).message });
      try {
        server.reloadTls();
        grpc?.reloadTls();
      } catch (e) {
        failed(e);
        return;
      }
      if (!pool) log.info("TLS certificate reloaded");
      else pool.reloadTls().then(() => log.info("TLS certificate reloaded"), failed);
    });
    // "listening" is the last line of a start: whoever waits for it (tests, scripts) may
    // signal the process at once, and the banner above is already out.
    log.info("listening", { url: server.url, pid: process.pid, config: config.source, workers: config.server.workers, sealed: app.services.vault.isSealed(), grpc: grpc?.address });
    startupDone();
  },
});

/** First start of a dev instance: an `admin` with a random password, printed once. */
async function bootstrapDevAdmin(app: Awaited<ReturnType<typeof createApp>>): Promise<void> {
  if (app.store.accounts.count() > 0) return;
  const password = randomPassword();
  await app.services.accounts.create(
    { ip: null, principal: null, actorName: "mcias-dev-bootstrap", operator: true },
    { username: "admin", account_type: "human", password, roles: ["admin"] },
  );
  console.log(`\n  First start: created account "admin" with password:\n\n      ${password}\n\n  It is shown only this once.`);
}
