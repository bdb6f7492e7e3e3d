/**
 * SPEC §18 absolute session lifetime, in-process around the composition root with an
 * injected clock (no sleeping): renewals never reach past `tokens.max_session` from
 * auth_time, a session past it is refused at renewal and at verification, and admins
 * get at most three admin lifetimes.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { decodeJwt } from "jose";
import { startInProcess, type InProcess } from "../helpers/inProcess";

const H = 3600_000;
const open: InProcess[] = [];
afterEach(() => { for (const h of open.splice(0)) h.close(); });

const call = async (h: InProcess, method: string, path: string, token?: string, json?: unknown) => {
  const r = await h.call(method, path, { token, json });
  return { status: r.status, body: r.body };
};
const login = (h: InProcess, name: string) => call(h, "POST", "/v1/auth/login", undefined, { username: name, password: `${name}-password-1` });

describe("tokens.max_session", () => {
  test("renewals are capped at auth_time + max_session, then refused", async () => {
    const h = await startInProcess({ sections: { tokens: { default_expiry: "1h", max_session: "2h" } } });
    open.push(h);
    await h.human("rita");
    const start = h.now();
    let tok = (await login(h, "rita")).body.token as string;
    expect(decodeJwt(tok).exp).toBe(Math.floor((start + H) / 1000));
    h.advance(50 * 60_000);
    tok = (await call(h, "POST", "/v1/auth/renew", tok)).body.token;
    expect(decodeJwt(tok).exp).toBe(Math.floor((start + 50 * 60_000 + H) / 1000));
    h.advance(55 * 60_000); // 1h45m into the session: a full hour would pass the 2h end
    tok = (await call(h, "POST", "/v1/auth/renew", tok)).body.token;
    expect(decodeJwt(tok).exp).toBe(Math.floor((start + 2 * H) / 1000));
    expect(decodeJwt(tok).auth_time).toBe(Math.floor(start / 1000));
    h.advance(15 * 60_000 + 1000); // past the end: the token itself is refused (and so is renewal)
    expect((await call(h, "POST", "/v1/auth/renew", tok)).status).toBe(401);
    expect((await call(h, "GET", "/v1/auth/me", tok)).status).toBe(401);
    // A new login starts a new session.
    expect((await login(h, "rita")).status).toBe(200);
  });

  test("enforced at verification too: a lowered max_session ends sessions already open", async () => {
    const first = await startInProcess({ sections: { tokens: { default_expiry: "720h", max_session: "720h" } } });
    await first.human("vic");
    const tok = (await login(first, "vic")).body.token as string;
    first.app.close(); // keep the directory: the same database restarts with a lower max_session
    const lowered = await startInProcess({ dir: first.dir, start: first.now() + 2 * H, sections: { tokens: { default_expiry: "720h", max_session: "1h" } } });
    open.push(lowered, { close: () => rmSync(first.dir, { recursive: true, force: true }) } as InProcess);
    expect((await call(lowered, "GET", "/v1/auth/me", tok)).status).toBe(401);
    expect((await call(lowered, "POST", "/v1/token/validate", undefined, { token: tok })).body).toEqual({ valid: false });
  });

  test("admins: at most three admin lifetimes, renewals included", async () => {
    const h = await startInProcess({ sections: { tokens: { admin_expiry: "8h", max_session: "720h" } } });
    open.push(h);
    await h.human("ada", { roles: ["admin"] });
    const start = h.now();
    let tok = (await login(h, "ada")).body.token as string;
    for (let i = 0; i < 3; i++) {
      h.advance(7 * H);
      const r = await call(h, "POST", "/v1/auth/renew", tok);
      expect(r.status).toBe(200);
      tok = r.body.token;
    }
    // 21h in: the last renewal reached only to 24h.
    expect(decodeJwt(tok).exp).toBe(Math.floor((start + 24 * H) / 1000));
    h.advance(3 * H + 1000);
    expect((await call(h, "POST", "/v1/auth/renew", tok)).status).toBe(401);
  });
});
