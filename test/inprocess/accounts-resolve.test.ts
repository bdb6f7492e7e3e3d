/**
 * services.accounts.resolve(ctx, ref): the one "id or username" lookup (SPEC §17) that
 * `mcias db --id/--username/--account`, the console's grantee and audit filters use.
 */
import { describe, expect, test } from "bun:test";
import { AppError } from "../../src/errors";
import { OPERATOR_CTX, type Ctx } from "../../src/services";
import { useInProcess, type InProcess } from "../helpers/inProcess";

let h: InProcess;
useInProcess((x) => { h = x; });

const code = (f: () => unknown) => {
  try { f(); return "ok"; } catch (e) { return e instanceof AppError ? e.code : String(e); }
};

describe("accounts.resolve", () => {
  test("an id (any case) or a username names the same account; deleted accounts too", async () => {
    const s = h.app.services;
    const id = await h.human("rosa");
    expect(s.accounts.resolve(OPERATOR_CTX, id)).toBe(id);
    expect(s.accounts.resolve(OPERATOR_CTX, id.toUpperCase())).toBe(id);
    expect(s.accounts.resolve(OPERATOR_CTX, "rosa")).toBe(id);
    expect(s.accounts.resolve(OPERATOR_CTX, " ROSA ")).toBe(id);
    s.accounts.delete(OPERATOR_CTX, id);
    expect(s.accounts.resolve(OPERATOR_CTX, "rosa")).toBe(id);
  });

  test("a UUID-shaped username resolves when no account has that id", async () => {
    const name = "0b7a3c1e-1111-4222-8333-944455556666";
    const id = await h.human(name);
    expect(id).not.toBe(name);
    expect(h.app.services.accounts.resolve(OPERATOR_CTX, name)).toBe(id);
  });

  test("empty is 400; unknown is 404 to who may list accounts, 403 to anyone else", async () => {
    const s = h.app.services;
    expect(code(() => s.accounts.resolve(OPERATOR_CTX, "  "))).toBe("bad_request");
    expect(code(() => s.accounts.resolve(OPERATOR_CTX, "nobody-here"))).toBe("not_found");
    await h.human("plain");
    const principal = await s.tokens.authenticate(await h.login("plain", "plain-password-1"));
    const ctx: Ctx = { ip: "127.0.0.1", principal };
    expect(code(() => s.accounts.resolve(ctx, "nobody-here"))).toBe("forbidden");
    expect(code(() => s.accounts.resolve(ctx, "admin"))).toBe("forbidden");
    expect(s.accounts.resolve(ctx, "plain")).toBe(principal.id);
  });
});
