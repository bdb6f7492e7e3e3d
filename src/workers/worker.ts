/**
 * A serving thread (`[server] workers` > 1): its own SQLite connection, services and
 * HTTP listener on the port the main thread holds (SO_REUSEPORT); rate limits, vault
 * state and the CSRF key are shared with the other threads (see ./shared.ts).
 * Built as a second entry point of the binary (scripts/build.ts).
 */
import { startupDone } from "../env";
import { createApp, type App } from "../app";
import { bufferedStderr, createLogger } from "../log";
import { startServer, type RunningServer } from "../server";
import type { FromWorker, ToWorker } from "./protocol";
import { appShared } from "./shared";

declare const self: Worker;
const send = (m: FromWorker) => self.postMessage(m);

let app: App | null = null;
let server: RunningServer | null = null;
let sink: ReturnType<typeof bufferedStderr> | null = null;

async function init(m: Extract<ToWorker, { t: "init" }>): Promise<void> {
  // Every line says which thread wrote it (the main thread's lines have no field).
  sink = bufferedStderr((line) => `${line.slice(0, -1)},"worker":${m.id}}`);
  const log = createLogger({ sink });
  try {
    app = await createApp({
      config: m.config, log,
      shared: appShared(m.state, "worker", () => send({ t: "vault" })),
    });
    server = startServer(app, m.config, { join: true });
    send({ t: "ready" });
    startupDone();
  } catch (e) {
    app?.close();
    sink.flush();
    send({ t: "fatal", message: (e as Error).message });
  }
}

async function run(op: string): Promise<string> {
  if (!app || !server) throw new Error("not started");
  switch (op) {
    case "metrics": return app.metrics();
    case "reload": server.reloadTls(); return "";
    case "vault": app.services.vault.status(); return ""; // applies a pending seal/unseal now
    case "stop": {
      const forced = await server.stop();
      app.close();
      sink?.flush();
      return forced ? "forced" : "";
    }
    default: throw new Error(`unknown op ${op}`);
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.t === "init") { void init(m); return; }
  run(m.op).then(
    (value) => send({ t: "res", rid: m.rid, ok: true, value }),
    (err: unknown) => send({ t: "res", rid: m.rid, ok: false, error: (err as Error).message }),
  );
};
