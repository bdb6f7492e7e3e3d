/** Version and commit, injected at build time (scripts/build.ts); "dev" under `bun run`. */
declare const MCIAS_VERSION: string | undefined;
declare const MCIAS_COMMIT: string | undefined;

export const VERSION: string = typeof MCIAS_VERSION === "string" ? MCIAS_VERSION : "0.1.0-dev";
export const COMMIT: string = typeof MCIAS_COMMIT === "string" ? MCIAS_COMMIT : "unknown";
