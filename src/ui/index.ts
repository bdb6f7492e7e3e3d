/**
 * The HTMX web UI (SPEC §11). Mounted beside the API by the composition root; built
 * by its own issue. Until then it serves nothing, so every UI path is a 404.
 */
import { Elysia } from "elysia";
import type { Limiters } from "../api/limiters";
import type { Logger } from "../log";
import type { Services } from "../services";

export function createUi(s: Services, _limiters: Limiters, _log: Logger) {
  return new Elysia({ name: "mcias-ui", seed: s.id });
}
