// First import of the entry point: a compiled binary has no NODE_ENV, and Elysia
// treats that as development (verbose errors). See NOTES-bun.md.
Bun.env.NODE_ENV ??= "production";
process.env.NODE_ENV ??= "production";
export {};
