/**
 * Forward-auth's time rules on the in-process tier, by moving the injected clock: a
 * session (cookie or bearer) opens the app until the moment its token expires and is
 * refused from then on (401 for an API client, the portal login for a browser) —
 * through the verified-token cache, with no restart. The proxy flag travels as the
 * listener sets it; without it the forwarded headers are not believed.
 */
import { describe, expect, test } from "bun:test";
import { useInProcess, type InProcess } from "../helpers/inProcess";

let h: InProcess;
useInProcess((x) => (h = x), {
  sections: {
    tokens: { issuer: "https://auth.mcias.test", default_expiry: "1h" },
    server: { trusted_proxies: ["127.0.0.1"] },
    sso: { cookie_domain: ".mcias.test", apps: [{ host: "photos.mcias.test", roles: ["photos"] }] },
  },
});

const M = 60_000;
const ask = (headers: Record<string, string>, viaTrustedProxy = true) =>
  h.request("GET", "/v1/authz/forward-auth", {
    headers: { "x-forwarded-proto": "https", "x-forwarded-host": "photos.mcias.test", "x-forwarded-uri": "/album", ...headers },
    viaTrustedProxy,
  });

describe("forward-auth and token expiry", () => {
  test("a session opens the app until its exp, then it is refused on the next request", async () => {
    await h.human("fa-eve", { roles: ["photos"] });
    const token = await h.login("fa-eve", "fa-eve-password-1");
    const cookie = { cookie: `mcias_session=${token}` };
    const ok = await ask(cookie);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("remote-user")).toBe("fa-eve");
    expect((await ask({ authorization: `Bearer ${token}` })).status).toBe(200); // now from the cache
    h.advance(59 * M);
    expect((await ask(cookie)).status).toBe(200);
    h.advance(M + 1);
    expect((await ask(cookie)).status).toBe(401);
    expect((await ask({ authorization: `Bearer ${token}` })).status).toBe(401);
    const browser = await ask({ ...cookie, accept: "text/html" });
    expect(browser.status).toBe(302);
    expect(browser.headers.get("location")).toBe(`https://auth.mcias.test/login?rd=${encodeURIComponent("https://photos.mcias.test/album")}`);
  });

  test("the forwarded headers count only when the listener says the peer is a trusted proxy", async () => {
    await h.human("fa-fay", { roles: ["photos"] });
    const token = await h.login("fa-fay", "fa-fay-password-1");
    expect((await ask({ cookie: `mcias_session=${token}` }, false)).status).toBe(400);
    // A client cannot claim the flag with a header of its own.
    expect((await ask({ cookie: `mcias_session=${token}`, "x-mcias-via-trusted-proxy": "1" }, false)).status).toBe(400);
    expect((await ask({ cookie: `mcias_session=${token}` })).status).toBe(200);
  });
});
