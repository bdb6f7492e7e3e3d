// First import of the entry point: a compiled binary has no NODE_ENV, and Elysia
// treats that as development (verbose errors). See NOTES-bun.md.
Bun.env.NODE_ENV ??= "production";
process.env.NODE_ENV ??= "production";

/**
 * Start-up code (module evaluation, config, migrations, building the faces) runs once:
 * JavaScriptCore's JIT would compile much of it anyway, which costs resident memory (the
 * compiled code and the compiler's own pages) and no time worth having. Until
 * `startupDone()` the tier-up thresholds are 100× the normal ones (docs/ARCHITECTURE.md,
 * "Memory"). Applies to the thread that imports this module (main and each worker).
 */
export const STARTUP_JIT_POLICY = 100;
Bun.unsafe.setJITPolicy(STARTUP_JIT_POLICY);

/** The normal JIT policy; also for every command but `serve` (db commands may run long loops). */
export function normalJitPolicy(): void {
  Bun.unsafe.setJITPolicy(1);
}

/**
 * The thread is serving: the normal JIT policy from here on (request paths get hot), and
 * once, shortly after (so the first requests are not held up by its ~10–20 ms), a full
 * collection and a heap shrink that hand start-up garbage back to the system (measured:
 * 2 MiB less idle RSS for REST alone, 4–5 MiB with gRPC, whose proto parsing is garbage).
 */
export function startupDone(): void {
  normalJitPolicy();
  setTimeout(() => {
    Bun.gc(true);
    Bun.shrink();
  }, 250).unref();
}
