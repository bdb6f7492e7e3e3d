/**
 * What the main thread creates once and hands to every serving thread (`[server]
 * workers` > 1): shared rate-limit tables, the shared vault state and the CSRF key
 * (a console form fetched from one worker is posted to whichever one accepts it).
 */
import { randomBytes } from "node:crypto";
import type { LimiterName } from "../http/limiters";
import { createLimiterMemory } from "./sharedLimiter";
import { createVaultMemory } from "./sharedVault";

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
