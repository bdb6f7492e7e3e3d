/**
 * State a second request of one flow needs, seen by every serving thread (issue 23,
 * `[server] workers` > 1): two apps over the same database directory stand in for two
 * worker threads (each has its own SQLite connection and its own services, exactly as
 * a worker does). The kernel spreads connections, so a flow begun on one thread may
 * end on the other:
 *   - the console's one-time token download (`GET /token/download/{nonce}`);
 *   - a WebAuthn registration and login (options on one app, verify on the other),
 *     driven by a small software authenticator (ES256, attestation "none").
 * With the state in per-process memory, every "finish on B" below fails.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { OPERATOR_CTX } from "../../src/services";
import { CSRF_FIELD } from "../../src/ui/csrf";
import { ADMIN_PASSWORD, startInProcess, type InProcess } from "../helpers/inProcess";
import { SoftAuthenticator } from "../helpers/softAuthenticator";

const open: InProcess[] = [];
// B first: A owns (and removes) the directory.
afterEach(() => { for (const h of open.splice(0).reverse()) h.close(); });

/** Two "threads": A creates the database, B opens the same file with its own connection. */
async function pair(): Promise<{ a: InProcess; b: InProcess }> {
  const a = await startInProcess();
  open.push(a);
  const b = await startInProcess({ dir: a.dir, start: a.now() });
  open.push(b);
  return { a, b };
}

const advanceBoth = (ms: number, ...hs: InProcess[]) => { for (const h of hs) h.advance(ms); };

// ---- console token download -----------------------------------------------------------

async function consoleLogin(h: InProcess, username: string, password: string): Promise<string> {
  const page = await h.request("GET", "/login");
  const cookies = page.headers.getSetCookie().map((c) => c.split(";")[0]!);
  const csrf = new RegExp(`name="${CSRF_FIELD}" value="([^"]+)"`).exec(await page.text())![1]!;
  const r = await h.request("POST", "/login", { headers: { cookie: cookies.join("; ") }, form: { username, password, [CSRF_FIELD]: csrf } });
  expect(r.status).toBe(303);
  const session = r.headers.getSetCookie().find((c) => c.startsWith("mcias_session="))!.split(";")[0]!;
  return [...cookies, session].join("; ");
}

/** Issues a service token through the console of `h`; returns it and its download link. */
async function issueInConsole(h: InProcess, cookie: string, id: string): Promise<{ token: string; link: string }> {
  const page = await (await h.request("GET", `/services/${id}`, { headers: { cookie } })).text();
  const csrf = new RegExp(`name="${CSRF_FIELD}" value="([^"]+)"`).exec(page)![1]!;
  const r = await h.request("POST", `/services/${id}/token`, { headers: { cookie }, form: { [CSRF_FIELD]: csrf } });
  expect(r.status).toBe(200);
  const body = await r.text();
  return {
    token: /<code id="issued-token">([^<]+)<\/code>/.exec(body)![1]!,
    link: /href="(\/token\/download\/[A-Za-z0-9_-]+)"/.exec(body)![1]!,
  };
}

async function systemAccount(h: InProcess, username: string): Promise<string> {
  const r = await h.call("POST", "/v1/accounts", { token: await h.adminToken(), json: { username, account_type: "system" } });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

describe("one-time token download across threads", () => {
  test("issued through A, downloaded once through B, then 404 on both; audited once", async () => {
    const { a, b } = await pair();
    const svc = await systemAccount(a, "xt-svc");
    const cookie = await consoleLogin(a, "admin", ADMIN_PASSWORD);
    const { token, link } = await issueInConsole(a, cookie, svc);
    const first = await b.request("GET", link, { headers: { cookie } });
    expect(first.status).toBe(200);
    expect(first.headers.get("content-disposition")).toBe('attachment; filename="xt-svc.token"');
    expect(await first.text()).toBe(`${token}\n`);
    for (const h of [b, a]) {
      const again = await h.request("GET", link, { headers: { cookie } });
      expect(again.status).toBe(404);
      expect(await again.text()).not.toContain(token);
    }
    const events = (await b.call("GET", "/v1/audit?type=token_downloaded", { token: await a.adminToken() })).body.events;
    expect(events.length).toBe(1);
    expect(events[0].target).toBe("xt-svc");
    // At rest: no row holds the token or the nonce in clear (and the taken row is gone).
    expect(a.app.store.db.query("SELECT count(*) AS n FROM pending_entries WHERE kind = 'token_handoff'").get()).toEqual({ n: 0 });
  });

  test("at rest the token is sealed and the row keyed by the nonce's hash", async () => {
    const { a, b } = await pair();
    const svc = await systemAccount(a, "xt-rest");
    const cookie = await consoleLogin(a, "admin", ADMIN_PASSWORD);
    const { token, link } = await issueInConsole(a, cookie, svc);
    const nonce = link.slice(link.lastIndexOf("/") + 1);
    const rows = b.app.store.db.query<{ key_hash: string; payload: Uint8Array }, []>(
      "SELECT key_hash, payload FROM pending_entries WHERE kind = 'token_handoff'").all();
    expect(rows.length).toBe(1);
    expect(rows[0]!.key_hash).toBe(createHash("sha256").update(nonce).digest("hex"));
    const raw = Buffer.from(rows[0]!.payload);
    for (const needle of [token, token.split(".")[1]!, nonce]) expect(raw.includes(Buffer.from(needle))).toBe(false);
    expect((await b.request("GET", link, { headers: { cookie } })).status).toBe(200);
  });

  test("expired by the clock: 404 on the other thread too, and never after", async () => {
    const { a, b } = await pair();
    const svc = await systemAccount(a, "xt-late");
    const cookie = await consoleLogin(a, "admin", ADMIN_PASSWORD);
    const { link } = await issueInConsole(a, cookie, svc);
    advanceBoth(5 * 60_000, a, b);
    expect((await b.request("GET", link, { headers: { cookie } })).status).toBe(404);
    expect((await a.request("GET", link, { headers: { cookie } })).status).toBe(404);
    // One millisecond before expiry it is still there (through the other thread).
    const { token, link: link2 } = await issueInConsole(a, cookie, svc);
    advanceBoth(5 * 60_000 - 1, a, b);
    const r = await b.request("GET", link2, { headers: { cookie } });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe(`${token}\n`);
  });
});

// ---- WebAuthn ----------------------------------------------------------------------------

async function failReasons(h: InProcess): Promise<unknown[]> {
  const r = await h.call("GET", "/v1/audit?type=login_fail&limit=500", { token: await h.adminToken() });
  return (r.body.events as { details: Record<string, unknown> }[]).map((e) => e.details.reason);
}

/** A human with a session on `h`, a software authenticator, and registration options asked of `h`. */
async function registrationBegun(h: InProcess, username: string) {
  const password = `${username}-password-123`;
  const userId = await h.human(username, { password });
  const tok = await h.login(username, password);
  const auth = new SoftAuthenticator("mcias.test", "https://mcias.test");
  const ro = await h.call("POST", "/v1/auth/webauthn/register/options", { token: tok, json: { current_password: password } });
  return { userId, tok, auth, ro };
}

describe("WebAuthn ceremonies across threads", () => {
  test("registration begun on A is accepted on B, once; login begun on B is accepted on A, once", async () => {
    const { a, b } = await pair();
    const { userId, tok, auth, ro } = await registrationBegun(a, "xt-pk");
    expect(ro.status).toBe(200);
    expect(ro.body.rp.id).toBe("mcias.test");
    const created = auth.create(ro.body.challenge);
    const rv = await b.call("POST", "/v1/auth/webauthn/register/verify", { token: tok, json: { response: created, name: "soft" } });
    expect(rv.status).toBe(201);
    expect(rv.body.name).toBe("soft");
    // The challenge was used: the same response again, on either thread, is refused.
    for (const h of [b, a]) {
      const again = await h.call("POST", "/v1/auth/webauthn/register/verify", { token: tok, json: { response: created } });
      expect(again.status).toBe(400);
      expect(again.body.error).toContain("unknown or expired registration challenge");
    }

    const lo = await b.call("POST", "/v1/auth/webauthn/login/options", { json: {} });
    expect(lo.status).toBe(200);
    const assertion = auth.get(lo.body.challenge, userId);
    const lv = await a.call("POST", "/v1/auth/webauthn/login/verify", { json: { response: assertion } });
    expect(lv.status).toBe(200);
    expect((await b.call("GET", "/v1/auth/me", { token: lv.body.token })).body.username).toBe("xt-pk");
    // Replayed on either thread: the challenge is gone (refused before any signature check).
    for (const h of [a, b]) {
      expect((await h.call("POST", "/v1/auth/webauthn/login/verify", { json: { response: assertion } })).status).toBe(401);
      expect((await failReasons(h))[0]).toBe("unknown_challenge");
    }
  });

  test("a challenge from A expires on B's clock as well", async () => {
    const { a, b } = await pair();
    const { userId, tok, auth, ro } = await registrationBegun(a, "xt-pk2");
    expect((await b.call("POST", "/v1/auth/webauthn/register/verify", { token: tok, json: { response: auth.create(ro.body.challenge) } })).status).toBe(201);
    const lo = await a.call("POST", "/v1/auth/webauthn/login/options", { json: {} });
    advanceBoth(5 * 60_000 + 1, a, b);
    expect((await b.call("POST", "/v1/auth/webauthn/login/verify", { json: { response: auth.get(lo.body.challenge, userId) } })).status).toBe(401);
    expect((await failReasons(b))[0]).toBe("unknown_challenge");
  });
});

// ---- policy rules ------------------------------------------------------------------------

describe("policy rules changed through one thread hold in the other on its next request", () => {
  test("an allow rule made on B works on B; a deny made on A holds on B at once; removing it on A lifts it on B", async () => {
    const { a, b } = await pair();
    const admin = await a.adminToken();
    const bobId = await a.human("xt-bob", { password: "xt-bob-password-123" });
    const bob = await b.login("xt-bob", "xt-bob-password-123");
    expect((await b.call("GET", "/v1/audit?limit=1", { token: bob })).status).toBe(403);
    const allow = await b.call("POST", "/v1/policy/rules", { token: admin, json: {
      description: "bob reads the audit log", effect: "allow", priority: 100, match: { subject_ids: [bobId], actions: ["audit:read"] },
    } });
    expect(allow.status).toBe(201);
    expect((await b.call("GET", "/v1/audit?limit=1", { token: bob })).status).toBe(200);
    expect((await a.call("GET", "/v1/audit?limit=1", { token: bob })).status).toBe(200);
    const deny = await a.call("POST", "/v1/policy/rules", { token: admin, json: {
      description: "no more", effect: "deny", priority: 900, match: { subject_ids: [bobId], actions: ["audit:read"] },
    } });
    expect(deny.status).toBe(201);
    expect((await b.call("GET", "/v1/audit?limit=1", { token: bob })).status).toBe(403);
    expect((await b.call("GET", "/v1/policy/rules", { token: admin })).body.map((r: { id: number }) => r.id)).toContain(deny.body.id);
    expect((await a.call("DELETE", `/v1/policy/rules/${deny.body.id}`, { token: admin })).status).toBe(204);
    expect((await b.call("GET", "/v1/audit?limit=1", { token: bob })).status).toBe(200);
    // A change made outside any server (raw SQL, as an operator might): seen too.
    b.app.store.db.run("UPDATE policy_rules SET enabled = 0 WHERE id = ?", [allow.body.id]);
    expect((await a.call("GET", "/v1/audit?limit=1", { token: bob })).status).toBe(403);
  });
});

// ---- OIDC signing keys -------------------------------------------------------------------

describe("an OIDC key made by one thread is served by the other", () => {
  test("a client asking for RS256, created through A, finds the RS256 key in B's JWKS", async () => {
    const { a, b } = await pair();
    const algs = async (h: InProcess) => {
      const r = await h.request("GET", "/oidc/jwks");
      expect(r.status).toBe(200);
      return ((await r.json()) as { keys: { alg: string }[] }).keys.map((k) => k.alg).sort();
    };
    expect(await algs(b)).toEqual(["EdDSA"]);
    const c = await a.call("POST", "/v1/oidc/clients", { token: await a.adminToken(), json: {
      name: "rs", redirect_uris: ["https://app.example.com/cb"], id_token_alg: "RS256",
    } });
    expect(c.status).toBe(201);
    expect(await algs(a)).toEqual(["EdDSA", "RS256"]);
    expect(await algs(b)).toEqual(["EdDSA", "RS256"]);
  });
});

// ---- housekeeping ------------------------------------------------------------------------

describe("housekeeping of pending entries", () => {
  test("`db prune tokens` removes expired challenges and downloads, not live ones; rekey drops held downloads", async () => {
    const { a, b } = await pair();
    const count = (kind: string) => (a.app.store.db.query("SELECT count(*) AS n FROM pending_entries WHERE kind = ?").get(kind) as { n: number }).n;
    const svc = await systemAccount(a, "xt-prune");
    const cookie = await consoleLogin(a, "admin", ADMIN_PASSWORD);
    await issueInConsole(a, cookie, svc);
    expect((await a.call("POST", "/v1/auth/webauthn/login/options", { json: {} })).status).toBe(200);
    advanceBoth(4 * 60_000, a, b);
    const live = await issueInConsole(a, cookie, svc);
    expect((await a.call("POST", "/v1/auth/webauthn/login/options", { json: {} })).status).toBe(200);
    advanceBoth(60_000, a, b); // the first two have expired, the others have 4 minutes left
    expect([count("token_handoff"), count("webauthn_login")]).toEqual([2, 2]);
    await b.app.services.maintenance.pruneTokens(OPERATOR_CTX); // async since issue 23 (batched)
    expect([count("token_handoff"), count("webauthn_login")]).toEqual([1, 1]);
    await b.app.services.maintenance.rekey(OPERATOR_CTX, { kind: "keyfile", key: Buffer.alloc(32, 3), path: "unused" });
    expect([count("token_handoff"), count("webauthn_login")]).toEqual([0, 1]);
    expect((await a.request("GET", live.link, { headers: { cookie } })).status).toBe(404);
  });
});
