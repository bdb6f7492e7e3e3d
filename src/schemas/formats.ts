/**
 * The string formats our schemas use ("uuid", "date-time"), checked by precompiled
 * regular expressions. Importing @elysiajs/openapi replaces TypeBox's global format
 * checkers with ones that build a new Zod schema on every call — measured at ~40% of
 * a GET /v1/auth/me's CPU (issue 23 profile), since every response is validated.
 * `useStrictFormats` puts ours back; the composition root calls it after every module
 * that may register formats is loaded, and docs.ts after it loads the OpenAPI plugin.
 */
import { FormatRegistry } from "@sinclair/typebox";
import { UUID_RE } from "../services/limits";

// RFC 3339 date-time: full date, "T", time with seconds, optional fraction, Z or ±hh:mm.
const DATE_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

export const STRICT_FORMATS: Readonly<Record<string, (value: string) => boolean>> = Object.freeze({
  // Any case, as before (ids are stored lower-case; an upper-case one is a 404, not a 400).
  uuid: (v: string) => UUID_RE.test(v.toLowerCase()),
  "date-time": (v: string) => DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)),
});

export function useStrictFormats(): void {
  for (const [name, check] of Object.entries(STRICT_FORMATS)) FormatRegistry.Set(name, check);
}
