/**
 * `[server] workers = 2` (issue 23) and the flows whose second request needs state the
 * first one left: the console's one-time token download and WebAuthn ceremonies. Every
 * request goes over a new connection, so the kernel spreads them over both threads; the
 * request log lines ("worker":1 or none for the main thread) show which thread served
 * each step, and each flow is repeated until its two steps were served by different
 * threads at least once. Every attempt must succeed, whichever threads it met.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { redactPath } from "../../src/http/redact";
import { CSRF_FIELD } from "../../src/ui/csrf";
import { ADMIN_PASSWORD, createHuman, createSystem, removeDir, startServer, type TestServer } from "../helpers/server";
import { SoftAuthenticator } from "../helpers/softAuthenticator";

let s: TestServer;
beforeAll(async () => {
  s = await startServer({ sections: { server: "workers = 2" } });
}, 60_000);
afterAll(async () => { if (s) { await s.stop(); removeDir(s.dir); } }, 60_000);

const ATTEMPTS = 40;

/** One request on a fresh connection, and the thread that served it ("main" or the worker id). */
async function fresh(method: string, path: string, o: { token?: string; json?: unknown; cookie?: string; form?: Record<string, string> } = {}) {
  const from = s.logs().length;
  const headers: Record<string, string> = { connection: "close" };
  if (o.cookie) headers.cookie = o.cookie;
  let body: string | undefined;
  if (o.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(o.form).toString();
  }
  const r = await s.fetch(path, { method, token: o.token, json: o.json, headers, body, redirect: "manual" });
  const text = await r.text();
  // The request log redacts the download's nonce (src/http/redact.ts): match what it writes.
  const thread = await servedBy(from, method, redactPath(path));
  let json: any = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: r.status, text, json, headers: r.headers, thread };
}

/** Waits for the request line of `method path` written after line `from`. */
async function servedBy(from: number, method: string, path: string): Promise<string> {
  const end = Date.now() + 15_000;
  for (;;) {
    for (const l of s.logs().slice(from)) {
      if (!l.includes('"msg":"request"')) continue;
      const j = JSON.parse(l);
      if (j.method === method && j.path === path) return j.worker === undefined ? "main" : String(j.worker);
    }
    if (Date.now() > end) throw new Error(`no request line for ${method} ${path}`);
    await Bun.sleep(10);
  }
}

const csrfOf = (html: string) => new RegExp(`name="${CSRF_FIELD}" value="([^"]+)"`).exec(html)![1]!;

async function consoleLogin(username: string, password: string): Promise<string> {
  const page = await fresh("GET", "/login");
  const cookies = page.headers.getSetCookie().map((c) => c.split(";")[0]!);
  const r = await fresh("POST", "/login", { cookie: cookies.join("; "), form: { username, password, [CSRF_FIELD]: csrfOf(page.text) } });
  expect(r.status).toBe(303);
  const session = r.headers.getSetCookie().find((c) => c.startsWith("mcias_session="))!.split(";")[0]!;
  return [...cookies, session].join("; ");
}

describe("workers = 2: flows of two requests on different threads", () => {
  test("a token issued in the console through one thread is downloaded once through the other", async () => {
    const svc = await createSystem(s, "wp-svc");
    const cookie = await consoleLogin("admin", ADMIN_PASSWORD);
    const csrf = csrfOf((await fresh("GET", `/services/${svc}`, { cookie })).text);
    const pairs: string[] = [];
    let crossed = false;
    for (let i = 0; i < ATTEMPTS && !crossed; i++) {
      const issued = await fresh("POST", `/services/${svc}/token`, { cookie, form: { [CSRF_FIELD]: csrf } });
      expect(issued.status).toBe(200);
      const token = /<code id="issued-token">([^<]+)<\/code>/.exec(issued.text)![1]!;
      const link = /href="(\/token\/download\/[A-Za-z0-9_-]+)"/.exec(issued.text)![1]!;
      const dl = await fresh("GET", link, { cookie });
      pairs.push(`${issued.thread}->${dl.thread}`);
      expect(dl.status).toBe(200);
      expect(dl.text).toBe(`${token}\n`);
      crossed = issued.thread !== dl.thread;
      if (crossed) {
        // Used: a second download is refused by both threads.
        const seen = new Set<string>();
        for (let j = 0; j < 20 && seen.size < 2; j++) {
          const again = await fresh("GET", link, { cookie });
          expect(again.status).toBe(404);
          seen.add(again.thread);
        }
        expect(seen.size).toBe(2);
      }
    }
    expect(crossed, `threads of issue->download: ${pairs.join(", ")}`).toBe(true);
  }, 120_000);

  test("WebAuthn: options from one thread, verify on the other (registration and login), each challenge once", async () => {
    const userId = await createHuman(s, "wp-pk");
    const tok = (await fresh("POST", "/v1/auth/login", { json: { username: "wp-pk", password: "wp-pk-password-123" } })).json.token as string;
    // Registration: each attempt a new authenticator, until the two steps met different
    // threads (a same-thread attempt registers too; at most 20 passkeys per account).
    let auth: SoftAuthenticator | null = null;
    const regPairs: string[] = [];
    for (let i = 0; i < 19 && !auth; i++) {
      const a = new SoftAuthenticator("mcias.test", "https://mcias.test");
      const ro = await fresh("POST", "/v1/auth/webauthn/register/options", { token: tok, json: { current_password: "wp-pk-password-123" } });
      expect(ro.status).toBe(200);
      const created = a.create(ro.json.challenge);
      const rv = await fresh("POST", "/v1/auth/webauthn/register/verify", { token: tok, json: { response: created, name: `soft ${i}` } });
      regPairs.push(`${ro.thread}->${rv.thread}`);
      expect(rv.status).toBe(201);
      if (rv.thread !== ro.thread) {
        auth = a;
        // Used: the same response again is refused by both threads.
        const seen = new Set<string>();
        for (let j = 0; j < 20 && seen.size < 2; j++) {
          const again = await fresh("POST", "/v1/auth/webauthn/register/verify", { token: tok, json: { response: created } });
          expect(again.status).toBe(400);
          seen.add(again.thread);
        }
        expect(seen.size).toBe(2);
      }
    }
    expect(auth, `threads of register options->verify: ${regPairs.join(", ")}`).not.toBeNull();

    const loginPairs: string[] = [];
    let crossed = false;
    for (let i = 0; i < ATTEMPTS && !crossed; i++) {
      const lo = await fresh("POST", "/v1/auth/webauthn/login/options", { json: {} });
      expect(lo.status).toBe(200);
      const assertion = auth!.get(lo.json.challenge, userId);
      const lv = await fresh("POST", "/v1/auth/webauthn/login/verify", { json: { response: assertion } });
      loginPairs.push(`${lo.thread}->${lv.thread}`);
      expect(lv.status).toBe(200);
      expect(typeof lv.json.token).toBe("string");
      crossed = lo.thread !== lv.thread;
      if (crossed) {
        // Replayed: the challenge is gone on both threads.
        const seen = new Set<string>();
        for (let j = 0; j < 20 && seen.size < 2; j++) {
          const again = await fresh("POST", "/v1/auth/webauthn/login/verify", { json: { response: assertion } });
          expect(again.status).toBe(401);
          seen.add(again.thread);
        }
        expect(seen.size).toBe(2);
      }
    }
    expect(crossed, `threads of login options->verify: ${loginPairs.join(", ")}`).toBe(true);
  }, 120_000);
});
