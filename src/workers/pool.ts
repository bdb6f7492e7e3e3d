/**
 * The main thread's side of `[server] workers = N`: starts N-1 worker threads (the main
 * thread serves too) on the port it already holds, waits until each listens, and relays
 * metrics scrapes, TLS reloads, vault changes and shutdown to them.
 */
import type { Config } from "../config/schema";
import type { Logger } from "../log";
import { mergeExpositions } from "./metricsMerge";
import type { FromWorker, Op, ToWorker } from "./protocol";
import type { SharedState } from "./shared";

export interface WorkerPool {
  size: number;
  /** This thread's exposition summed with every worker's. */
  metrics(own: string): Promise<string>;
  /** SIGHUP: every worker re-reads the certificate; rejects with the first failure. */
  reloadTls(): Promise<void>;
  /** Tells every worker to apply the shared vault state now (overwrites key bytes on seal). */
  vaultChanged(): void;
  /** Drains every worker; resolves true if any had to force connections closed. */
  stop(): Promise<boolean>;
}

/**
 * In the compiled binary every entry point sits under /$bunfs/root/ relative to the
 * common folder (src/), and this module is bundled into the main entry at its root;
 * from source, worker.ts is this file's sibling.
 */
export function workerUrl(): string {
  return import.meta.url.includes("/$bunfs/")
    ? new URL("./workers/worker.ts", import.meta.url).href
    : new URL("./worker.ts", import.meta.url).href;
}

interface Handle { w: Worker; pending: Map<number, { res: (v: string) => void; rej: (e: Error) => void }> }

export async function startWorkers(opts: {
  count: number; config: Config; port: number; state: SharedState; log: Logger; onVault(): void;
}): Promise<WorkerPool> {
  const { log } = opts;
  const config: Config = { ...opts.config, server: { ...opts.config.server, listenPort: opts.port } };
  const handles: Handle[] = [];
  let stopping = false;
  let rid = 0;

  const start = (id: number) => new Promise<Handle>((resolve, reject) => {
    const w = new Worker(workerUrl());
    const h: Handle = { w, pending: new Map() };
    let ready = false;
    w.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.t === "ready") { ready = true; resolve(h); }
      else if (m.t === "fatal") reject(new Error(`worker ${id}: ${m.message}`));
      else if (m.t === "vault") opts.onVault();
      else if (m.t === "res") {
        const p = h.pending.get(m.rid);
        h.pending.delete(m.rid);
        if (m.ok) p?.res(m.value ?? "");
        else p?.rej(new Error(m.error ?? "worker error"));
      }
    };
    const died = (why: string) => {
      if (!ready) { reject(new Error(`worker ${id}: ${why}`)); return; }
      if (stopping) return;
      // A thread that died lost its listener; fail loudly so the supervisor restarts us.
      log.error("worker thread died; exiting", { worker: id, error: why });
      process.exit(1);
    };
    w.onerror = (e) => died(e.message);
    w.addEventListener("close", () => died("exited"));
    w.postMessage({ t: "init", id, config, state: opts.state } satisfies ToWorker);
  });

  const ask = (h: Handle, op: Op): Promise<string> => new Promise((res, rej) => {
    const id = ++rid;
    h.pending.set(id, { res, rej });
    h.w.postMessage({ t: "req", rid: id, op } satisfies ToWorker);
  });

  try {
    for (let i = 1; i < opts.count; i++) handles.push(await start(i));
  } catch (e) {
    stopping = true;
    await Promise.all(handles.map((h) => ask(h, "stop").catch(() => "")));
    for (const h of handles) h.w.terminate();
    throw e;
  }

  return {
    size: opts.count,
    async metrics(own) {
      const theirs = await Promise.all(handles.map((h) => Promise.race([ask(h, "metrics"), Bun.sleep(5_000).then(() => "")])));
      return mergeExpositions([own, ...theirs]);
    },
    async reloadTls() {
      await Promise.all(handles.map((h) => ask(h, "reload")));
    },
    vaultChanged() {
      for (const h of handles) void ask(h, "vault").catch(() => undefined);
    },
    async stop() {
      stopping = true;
      const r = await Promise.all(handles.map((h) => ask(h, "stop").catch(() => "")));
      for (const h of handles) h.w.terminate();
      return r.includes("forced");
    },
  };
}
