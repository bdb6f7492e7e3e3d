/**
 * Compatibility re-export for branches written before issue 14 folded every view into
 * views.ts. New code imports from ./views. Remove once nothing imports this file.
 */
export * from "./views";
