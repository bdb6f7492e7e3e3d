/**
 * One read of the store generation per authenticated request (issue 23): the caller's
 * state is loaded at that read, and the caches consulted later in the same request —
 * the account for /v1/auth/me, the policy rules for a decision — compare with it
 * instead of reading again. A commit in between is still seen by the next request.
 */
import { describe, expect, test } from "bun:test";
import { ADMIN_PASSWORD, useInProcess, type InProcess } from "../helpers/inProcess";

let h: InProcess;
useInProcess((x) => { h = x; });

function countReads(): { n: number; stop(): void } {
  const store = h.app.store;
  const original = store.generation;
  const c = { n: 0, stop: () => { store.generation = original; } };
  store.generation = () => { c.n++; return original(); };
  return c;
}

describe("generation reads per request", () => {
  test("GET /v1/auth/me and a policy-checked GET read it once; a change is seen on the next request", async () => {
    const token = await h.login("admin", ADMIN_PASSWORD);
    const me = (await h.call("GET", "/v1/auth/me", { token })).body;
    await h.call("GET", `/v1/accounts/${me.id}`, { token }); // warm every cache
    const c = countReads();
    try {
      expect((await h.call("GET", "/v1/auth/me", { token })).status).toBe(200);
      expect(c.n).toBe(1);
      c.n = 0;
      expect((await h.call("GET", `/v1/accounts/${me.id}`, { token })).status).toBe(200);
      expect(c.n).toBe(1);
    } finally {
      c.stop();
    }
    // A tag set by another path between requests shows on the next one.
    await h.call("PUT", `/v1/accounts/${me.id}/tags`, { token, json: { tags: ["seen-next"] } });
    expect((await h.call("GET", "/v1/auth/me", { token })).body.tags).toEqual(["seen-next"]);
  });
});
