/**
 * The vault (SPEC §6) through the real server: sealed start without the passphrase
 * variable, unseal (wrong passphrase 401 + audited, rate limit 429), admin seal,
 * the 503 guard, tokens surviving seal/unseal, concurrent traffic during
 * transitions, keyfile servers, and an uninitialized database.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateSigningKey } from "../../src/crypto/signingKey";
import { createVault } from "../../src/vault/vault";
import { ADMIN_PASSWORD, createHuman, removeDir, startServer, type TestServer } from "../helpers/server";

const PASS = "correct horse battery staple vault";
const servers: TestServer[] = [];
afterAll(async () => {
  for (const x of servers) { await x.stop(); removeDir(x.dir); }
});

type Res = { status: number; body: any; headers: Headers };

/** Unseal, waiting out the per-IP limiter when an earlier test drained the bucket. */
async function unseal(s: TestServer, passphrase: string): Promise<Res> {
  for (;;) {
    const r = await s.call("POST", "/v1/vault/unseal", { json: { passphrase } });
    if (r.status !== 429) return r;
    await Bun.sleep(Number(r.headers.get("retry-after") ?? "1") * 1000);
  }
}

/** The uniform error JSON of SPEC §3, with the code its status implies. */
function expectError(r: Res, status: number, code: string): void {
  expect(r.status).toBe(status);
  expect(r.body).toEqual({ error: expect.any(String), code });
}

const OPEN_PATHS = ["/v1/health", "/v1/vault/status", "/v1/vault/unseal"];

describe("passphrase server", () => {
  let s: TestServer;
  let dir: string;
  let userTok: string;

  beforeAll(async () => {
    // With the variable set the server starts unsealed (and initializes the key check).
    const first = await startServer({ passphrase: PASS });
    expect((await first.call("GET", "/v1/vault/status")).body).toEqual({ sealed: false });
    await createHuman(first, "vera", "vera-password-123");
    userTok = await first.login("vera", "vera-password-123");
    await first.stop();
    dir = first.dir;
    // Without it the same database starts sealed.
    s = await startServer({ dir, passphrase: null });
    servers.push(s);
  });

  test("starts sealed without the passphrase variable; health 503, status open", async () => {
    expect(await s.call("GET", "/v1/vault/status")).toMatchObject({ status: 200, body: { sealed: true } });
    expect(await s.call("GET", "/v1/health")).toMatchObject({ status: 503, body: { status: "sealed" } });
    expect(s.logs().some((l) => l.includes("vault sealed"))).toBe(true);
  });

  test("while sealed every other /v1 route answers 503 vault_sealed", async () => {
    const probes: [string, string, unknown?][] = [
      ["GET", "/v1/accounts"], ["POST", "/v1/auth/login", { username: "admin", password: ADMIN_PASSWORD }],
      ["GET", "/v1/auth/me"], ["POST", "/v1/token/validate", { token: userTok }], ["GET", "/v1/keys/public"],
      ["GET", "/v1/policy/rules"], ["POST", "/v1/policy/evaluate", {}], ["GET", "/v1/audit"], ["POST", "/v1/vault/seal"],
      ["DELETE", "/v1/token/x"], ["GET", "/v1/no-such-route"],
    ];
    for (const [m, p, json] of probes) expectError(await s.call(m, p, { json, token: userTok }), 503, "vault_sealed");
  });

  test("bad unseal bodies are 400 and change nothing", async () => {
    for (const json of [{}, { passphrase: "" }, { passphrase: 5 }, { passphrase: PASS, extra: 1 }]) {
      expectError(await s.call("POST", "/v1/vault/unseal", { json }), 400, "bad_request");
    }
    expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: true });
  });

  test("a wrong passphrase is 401 and the vault stays sealed", async () => {
    expectError(await unseal(s, "not the passphrase at all"), 401, "unauthorized");
    expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: true });
  });

  test("the right passphrase unseals; tokens from before work; the attempts are audited", async () => {
    const r = await unseal(s, PASS);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ sealed: false });
    expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: false });
    expect(await s.call("GET", "/v1/health")).toMatchObject({ status: 200, body: { status: "ok" } });
    // A token issued by the previous process run is still valid.
    expect((await s.call("GET", "/v1/auth/me", { token: userTok })).body.username).toBe("vera");
    // Unsealing an unsealed vault is a no-op.
    expect((await unseal(s, PASS)).body).toEqual({ sealed: false });

    const admin = await s.adminToken();
    const failed = await s.call("GET", "/v1/audit?type=vault_unseal_failed", { token: admin });
    expect(failed.body.events.length).toBe(1);
    expect(failed.body.events[0].ip).toBe("127.0.0.1");
    const ok = await s.call("GET", "/v1/audit?type=vault_unsealed", { token: admin });
    expect(ok.body.events.length).toBe(1);
    expect(JSON.stringify(failed.body)).not.toContain("not the passphrase");
  });

  test("only an admin may seal; sealing wipes access until unseal; tokens survive", async () => {
    const admin = await s.adminToken();
    expectError(await s.call("POST", "/v1/vault/seal", { token: userTok }), 403, "forbidden");
    expectError(await s.call("POST", "/v1/vault/seal"), 401, "unauthorized");
    expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: false });

    const sealed = await s.call("POST", "/v1/vault/seal", { token: admin });
    expect(sealed.status).toBe(200);
    expect(sealed.body).toEqual({ sealed: true });
    expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: true });
    expectError(await s.call("GET", "/v1/auth/me", { token: admin }), 503, "vault_sealed");
    expectError(await s.call("POST", "/v1/auth/login", { json: { username: "vera", password: "vera-password-123" } }), 503, "vault_sealed");

    expect((await unseal(s, PASS)).status).toBe(200);
    expect((await s.call("GET", "/v1/auth/me", { token: admin })).status).toBe(200);
    expect((await s.call("GET", "/v1/auth/me", { token: userTok })).status).toBe(200);
    const ev = await s.call("GET", "/v1/audit?type=vault_sealed", { token: admin });
    expect(ev.body.events.length).toBe(1);
    expect(ev.body.events[0].actor).toBe("admin");
  });

  test("concurrent traffic during seal and unseal: only 200/204/401/503, uniform errors, no half state", async () => {
    const admin = await s.adminToken();
    const mix = (i: number): [string, string, { token?: string; json?: unknown }] => {
      switch (i % 8) {
        case 0: return ["GET", "/v1/auth/me", { token: userTok }];
        case 1: return ["GET", "/v1/accounts", { token: admin }];
        case 2: return ["POST", "/v1/auth/login", { json: { username: "vera", password: "vera-password-123" } }];
        case 3: return ["POST", "/v1/token/validate", { json: { token: userTok } }];
        case 4: return ["GET", "/v1/health", {}];
        case 5: return ["GET", "/v1/vault/status", {}];
        case 6: return ["GET", "/v1/keys/public", {}];
        default: return ["GET", "/v1/auth/me", { token: "not-a-token" }];
      }
    };
    const check = (path: string, r: Res) => {
      expect([200, 401, 503]).toContain(r.status);
      if (path === "/v1/health") {
        expect(r.body).toEqual(r.status === 200 ? { status: "ok" } : { status: "sealed" });
      } else if (r.status === 401) {
        expect(r.body).toEqual({ error: expect.any(String), code: "unauthorized" });
      } else if (r.status === 503) {
        expect(r.body).toEqual({ error: expect.any(String), code: "vault_sealed" });
      } else if (path === "/v1/token/validate") {
        expect(r.body.valid).toBe(true);
      }
    };
    const burst = async (n: number) => {
      const reqs = Array.from({ length: n }, (_, i) => mix(i));
      const rs = await Promise.all(reqs.map(([m, p, o]) => s.call(m, p, o)));
      rs.forEach((r, i) => check(reqs[i]![1], r));
      return rs;
    };

    for (let round = 0; round < 3; round++) {
      // Seal in the middle of a burst.
      const during = burst(80);
      await Bun.sleep(1);
      const seal = await s.call("POST", "/v1/vault/seal", { token: admin });
      expect([200, 503]).toContain(seal.status);
      await during;
      expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: true });
      const sealedReqs = Array.from({ length: 24 }, (_, i) => mix(i));
      const sealedRs = await burst(24);
      sealedRs.forEach((r, i) => { if (!OPEN_PATHS.includes(sealedReqs[i]![1])) expect(r.status).toBe(503); });

      // Unseal (several callers at once, some wrong) in the middle of another burst.
      const during2 = burst(80);
      const unseals = await Promise.all([PASS, "wrong passphrase one", PASS].map((p) => s.call("POST", "/v1/vault/unseal", { json: { passphrase: p } })));
      for (const u of unseals) expect([200, 401, 429]).toContain(u.status);
      await during2;
      if ((await s.call("GET", "/v1/vault/status")).body.sealed) expect((await unseal(s, PASS)).status).toBe(200);
      expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: false });
      // Fully working again, with the tokens from before.
      const after = await burst(16);
      for (const r of after) expect(r.status === 503).toBe(false);
      expect((await s.call("GET", "/v1/auth/me", { token: userTok })).status).toBe(200);
    }
    expect(s.logs().some((l) => l.includes("unhandled error"))).toBe(false);
  }, 60_000);

  test("unseal is rate limited per IP (burst 5): 429 with Retry-After", async () => {
    // Whatever earlier tests left in the bucket, at most 5 (+ refill) of 12 simultaneous calls pass.
    const rs = await Promise.all(Array.from({ length: 12 }, () => s.call("POST", "/v1/vault/unseal", { json: { passphrase: PASS } })));
    const limited = rs.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(4);
    expect(rs.filter((r) => r.status === 200).length).toBeLessThanOrEqual(8);
    for (const r of limited) {
      expectError(r, 429, "rate_limited");
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }
  });

  test("a wrong passphrase in the environment stops the server from starting", async () => {
    const bad = startServer({ dir, passphrase: "definitely wrong" });
    await expect(bad).rejects.toThrow();
  });
});

describe("startSealed fixture", () => {
  test("comes up sealed and opens with its passphrase", async () => {
    const s = await startServer({ passphrase: PASS, startSealed: true });
    servers.push(s);
    expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: true });
    expect((await unseal(s, PASS)).body).toEqual({ sealed: false });
    expect((await s.call("GET", "/v1/accounts", { token: await s.adminToken() })).status).toBe(200);
  });
});

describe("keyfile server", () => {
  test("starts unsealed; after a seal, unseal is 400 (restart to unseal); a restart unseals and keeps tokens", async () => {
    const s = await startServer();
    servers.push(s);
    expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: false });
    const admin = await s.adminToken();
    expect((await s.call("POST", "/v1/vault/seal", { token: admin })).body).toEqual({ sealed: true });
    expectError(await unseal(s, "anything"), 400, "bad_request");
    expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: true });
    await s.stop();
    const again = await startServer({ dir: s.dir });
    servers.push(again);
    expect((await again.call("GET", "/v1/vault/status")).body).toEqual({ sealed: false });
    expect((await again.call("GET", "/v1/auth/me", { token: admin })).status).toBe(200);
  });
});

describe("uninitialized database", () => {
  test("a fresh install started sealed is initialized by its first unseal (16+ characters, SPEC §18), then holds to it", async () => {
    const s = await startServer({ passphrase: null });
    servers.push(s);
    expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: true });
    expectError(await unseal(s, "short"), 400, "bad_request");
    expectError(await unseal(s, "fifteen-chars-x"), 400, "bad_request");
    expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: true });
    const first = "the operator's fresh passphrase";
    expect(await unseal(s, first)).toMatchObject({ status: 200, body: { sealed: false } });
    expect(s.logs().some((l) => l.includes("master key initialized by the first unseal"))).toBe(true);
    const admin = await s.adminToken();
    const ev = await s.call("GET", "/v1/audit?type=vault_unsealed", { token: admin });
    expect(ev.body.events.map((e: { details: unknown }) => e.details)).toEqual([{ initialized: true }]);
    // From now on only that passphrase opens it.
    expect((await s.call("POST", "/v1/vault/seal", { token: admin })).status).toBe(200);
    expectError(await unseal(s, "another long passphrase"), 401, "unauthorized");
    expect((await unseal(s, first)).status).toBe(200);
    expect((await s.call("GET", "/v1/auth/me", { token: admin })).status).toBe(200);
  });
});

describe("uninitialized database, remote caller", () => {
  test("only a loopback client may initialize: a remote first caller (via a trusted proxy) is refused and nothing is set", async () => {
    const s = await startServer({ passphrase: null, sections: { server: 'trusted_proxies = ["127.0.0.1"]' } });
    servers.push(s);
    const remote = await s.call("POST", "/v1/vault/unseal", { json: { passphrase: "an attacker's long passphrase" }, headers: { "x-forwarded-for": "203.0.113.5" } });
    expectError(remote, 403, "forbidden");
    expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: true });
    // the operator on the host still chooses the passphrase
    expect((await unseal(s, "the operator's real passphrase")).status).toBe(200);
    await s.call("POST", "/v1/vault/seal", { token: await s.adminToken() });
    // once initialized, a remote unseal with the right passphrase works as usual
    const ok = await s.call("POST", "/v1/vault/unseal", { json: { passphrase: "the operator's real passphrase" }, headers: { "x-forwarded-for": "203.0.113.5" } });
    expect(ok.status).toBe(200);
  });
});

describe("key bytes in memory", () => {
  test("unseal copies and wipes the caller's buffers; seal overwrites the held bytes", () => {
    const v = createVault();
    const sk = generateSigningKey();
    const master = Buffer.alloc(32, 0xab);
    const pkcs8 = Buffer.from(sk.pkcs8);
    v.unseal({ masterKey: master, signingPkcs8: pkcs8, publicJwk: sk.publicJwk });
    expect(master.every((b) => b === 0)).toBe(true);
    expect(pkcs8.every((b) => b === 0)).toBe(true);
    const held = v.masterKey();
    expect(held.every((b) => b === 0xab)).toBe(true);
    expect(v.signingKey().asymmetricKeyType).toBe("ed25519");
    v.seal();
    expect(v.isSealed()).toBe(true);
    expect(held.every((b) => b === 0)).toBe(true);
    expect(() => v.masterKey()).toThrow();
    expect(() => v.signingKey()).toThrow();
    // the public half stays known (it is public) for the sealed guard's answers
    expect(v.publicJwk()).toEqual(sk.publicJwk);
  });
});
