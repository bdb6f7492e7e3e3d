/** Messages between the main thread and its serving workers. */
import type { Config } from "../config/schema";
import type { SharedState } from "./shared";

export type Op = "metrics" | "reload" | "stop" | "vault";

export type ToWorker =
  | { t: "init"; id: number; config: Config; state: SharedState }
  | { t: "req"; rid: number; op: Op };

export type FromWorker =
  | { t: "ready" }
  | { t: "fatal"; message: string }
  | { t: "res"; rid: number; ok: boolean; value?: string; error?: string }
  | { t: "vault" };
