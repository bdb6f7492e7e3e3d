/**
 * The string formats our schemas use are checked by our own precompiled patterns
 * (src/schemas/formats.ts), not by the per-call Zod schemas @elysiajs/openapi installs
 * globally when imported (issue 23: ~40% of a GET /v1/auth/me). Also after the OpenAPI
 * document has been generated, and with the same answers for good and bad input.
 */
import { describe, expect, test } from "bun:test";
import { FormatRegistry } from "@sinclair/typebox";
import { STRICT_FORMATS } from "../../src/schemas/formats";
import { useInProcess, type InProcess } from "../helpers/inProcess";

let h: InProcess;
useInProcess((x) => { h = x; });

describe("schema formats", () => {
  test("uuid and date-time are ours once the app is built and after /docs/json", async () => {
    for (const name of Object.keys(STRICT_FORMATS)) expect(FormatRegistry.Get(name)).toBe(STRICT_FORMATS[name]!);
    expect((await h.call("GET", "/docs/json")).status).toBe(200);
    for (const name of Object.keys(STRICT_FORMATS)) expect(FormatRegistry.Get(name)).toBe(STRICT_FORMATS[name]!);
  });

  test("the checks accept what we emit and refuse what is not the format", () => {
    const uuid = STRICT_FORMATS.uuid!, dt = STRICT_FORMATS["date-time"]!;
    expect(uuid(crypto.randomUUID())).toBe(true);
    expect(uuid(crypto.randomUUID().toUpperCase())).toBe(true);
    for (const bad of ["", "not-a-uuid", "0b6f2c52-1d1e-4b37-9e6b-2f1f7f0f2a1", "0b6f2c52-1d1e-4b37-9e6b-2f1f7f0f2a11x", "0b6f2c521d1e4b379e6b2f1f7f0f2a11"]) expect(uuid(bad)).toBe(false);
    expect(dt(new Date().toISOString())).toBe(true);
    expect(dt("2026-11-30T23:00:00+01:00")).toBe(true);
    for (const bad of ["", "2026-11-30", "2026-13-01T00:00:00Z", "2026-11-30T24:00:00Z", "2026-11-30 23:00:00Z", "2026-11-30T23:00Z", "yesterday"]) expect(dt(bad)).toBe(false);
  });

  test("a malformed id in a path is still a 400 and a well-formed unknown one a 404", async () => {
    const token = await h.login("admin", (await import("../helpers/inProcess")).ADMIN_PASSWORD);
    expect((await h.call("GET", "/v1/accounts/not-a-uuid", { token })).status).toBe(400);
    expect((await h.call("GET", `/v1/accounts/${crypto.randomUUID()}`, { token })).status).toBe(404);
  });
});
