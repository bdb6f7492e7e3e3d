/**
 * What the main thread creates once and hands to every serving thread (`[server]
 * workers` > 1): shared rate-limit tables, the shared vault state and the CSRF key
 * (a console form fetched from one worker is posted to whichever one accepts it).
 */
import { randomBytes } from "node:crypto";
import type { AppOptions } from "../app";
import type { LimiterName } from "../http/limiters";
import { createLimiterMemory, createSharedLimiter } from "./sharedLimiter";
import { createVaultMemory, createVaultShare } from "./sharedVault";

export interface SharedState {
  limiters: Record<LimiterName, SharedArrayBuffer>;
  vault: SharedArrayBuffer;
  csrfKey: Uint8Array;
}

export function createSharedState(): SharedState {
  return {
    limiters: { login: createLimiterMemory(), validate: createLimiterMemory(), unseal: createLimiterMemory() },
    vault: createVaultMemory(),
    csrfKey: new Uint8Array(randomBytes(32)),
  };
}

/**
 * What `createApp` needs from the shared state in one thread. `nudge` is called after
 * this thread published a seal/unseal (it wakes the other threads).
 */
export function appShared(state: SharedState, role: "main" | "worker", nudge: () => void): NonNullable<AppOptions["shared"]> {
  return {
    role,
    limiter: (name, b, now) => createSharedLimiter(b, state.limiters[name], now),
    vault: createVaultShare(state.vault, nudge),
    csrfKey: state.csrfKey,
  };
}
