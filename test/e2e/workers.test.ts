/**
 * `[server] workers = 2` (issue 23): two serving threads on one port. Every check goes
 * over new connections (`connection: close`) so the kernel spreads them over both
 * threads, and the request log lines prove both served ("worker":1 vs none).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { makeSelfSignedCert } from "../../src/crypto/selfSignedCert";
import { createHuman, removeDir, startServer, type TestServer } from "../helpers/server";

const PASSPHRASE = "workers-test-passphrase-0123";

/** One request on a fresh connection. */
async function fresh(s: TestServer, method: string, path: string, o: { token?: string; json?: unknown } = {}) {
  const r = await s.fetch(path, { method, token: o.token, json: o.json, headers: { connection: "close" } });
  const text = await r.text();
  let body: any = text;
  try { body = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: r.status, body };
}

/** Which threads wrote request lines since line `from`: "main" or the worker id. */
function servedBy(s: TestServer, from = 0): Set<string> {
  const seen = new Set<string>();
  for (const l of s.logs().slice(from)) {
    if (!l.includes('"msg":"request"')) continue;
    const j = JSON.parse(l);
    seen.add(j.worker === undefined ? "main" : String(j.worker));
  }
  return seen;
}

/** SHA-256 fingerprint of the certificate presented on a fresh connection. */
function peerFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = tls.connect({ host: "127.0.0.1", port, servername: "localhost", rejectUnauthorized: false }, () => {
      const fp = c.getPeerCertificate().fingerprint256;
      c.end();
      resolve(fp);
    });
    c.on("error", reject);
  });
}

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(20);
  }
}

describe("workers = 2 with a keyfile", () => {
  let s: TestServer;
  let metricsUrl = "";
  beforeAll(async () => {
    s = await startServer({
      sections: {
        server: `workers = 2\nmetrics_addr = "127.0.0.1:0"`,
        lockout: `max_failures = 7\nwindow = "15m"\nduration = "15m"`,
      },
    });
    const line = s.logs().find((l) => l.includes('"msg":"metrics listening"'))!;
    metricsUrl = JSON.parse(line).url;
  }, 60_000);
  afterAll(async () => { if (s) { await s.stop(); removeDir(s.dir); } }, 60_000);

  test("one listening line with url, pid and workers; requests are served by both threads", async () => {
    const listening = s.logs().filter((l) => l.includes('"msg":"listening"'));
    expect(listening).toHaveLength(1);
    const j = JSON.parse(listening[0]!);
    expect(j.url).toBe(s.url);
    expect(j.pid).toBe(s.pid);
    expect(j.workers).toBe(2);
    const from = s.logs().length;
    for (let i = 0; i < 40; i++) expect((await fresh(s, "GET", "/v1/health")).status).toBe(200);
    await until(() => servedBy(s, from).size === 2);
    expect([...servedBy(s, from)].sort()).toEqual(["1", "main"]);
  });

  test("a token revoked through one thread is refused by every thread on the next request", async () => {
    await createHuman(s, "rita");
    const tok = (await fresh(s, "POST", "/v1/auth/login", { json: { username: "rita", password: "rita-password-123" } })).body.token as string;
    const from = s.logs().length;
    for (let i = 0; i < 20; i++) expect((await fresh(s, "GET", "/v1/auth/me", { token: tok })).status).toBe(200);
    expect((await fresh(s, "POST", "/v1/auth/logout", { token: tok })).status).toBe(204);
    for (let i = 0; i < 30; i++) {
      expect((await fresh(s, "GET", "/v1/auth/me", { token: tok })).status).toBe(401);
      expect((await fresh(s, "POST", "/v1/token/validate", { json: { token: tok } })).body.valid).toBe(false);
    }
    expect(servedBy(s, from).size).toBe(2);
  });

  test("20 wrong passwords spread over both threads lock the account at exactly max_failures (7); /metrics sums both threads", async () => {
    const id = await createHuman(s, "lars");
    const from = s.logs().length;
    for (let i = 0; i < 20; i++) {
      expect((await fresh(s, "POST", "/v1/auth/login", { json: { username: "lars", password: `wrong-password-${i}` } })).status).toBe(401);
    }
    expect(servedBy(s, from).size).toBe(2);
    const r = await s.call("GET", `/v1/audit?account=${id}&limit=500`, { token: await s.adminToken() });
    const types: string[] = r.body.events.map((e: { type: string }) => e.type);
    expect(types.filter((t) => t === "login_fail")).toHaveLength(7);
    expect(types.filter((t) => t === "login_locked")).toHaveLength(13);
    // The right password is refused while locked, whichever thread answers.
    for (let i = 0; i < 6; i++) {
      expect((await fresh(s, "POST", "/v1/auth/login", { json: { username: "lars", password: "lars-password-123" } })).status).toBe(401);
    }
    const text = await (await fetch(metricsUrl)).text();
    const sample = (name: string) => Number(text.split("\n").find((l) => l.startsWith(name + " "))?.split(" ")[1] ?? NaN);
    expect(sample("mcias_lockouts_total")).toBe(1);
    expect(sample('mcias_logins_total{result="fail",method="password"}')).toBe(7);
    expect(sample('mcias_logins_total{result="locked",method="password"}')).toBe(19);
    // Every health request above was counted, whichever thread served it.
    expect(sample('mcias_http_requests_total{route="/v1/health",method="GET",status="200"}')).toBe(40);
    expect(text.match(/^# TYPE mcias_vault_sealed gauge$/gm)).toHaveLength(1);
    expect(sample("mcias_vault_sealed")).toBe(0);
  });

  test("SIGHUP reloads TLS in every thread; SIGTERM drains both and exits 0", async () => {
    const port = Number(new URL(s.url).port);
    const next = await makeSelfSignedCert({ dnsNames: ["localhost"], ips: ["127.0.0.1"] });
    writeFileSync(join(s.dir, "server.key"), next.keyPem, { mode: 0o600 });
    writeFileSync(join(s.dir, "server.crt"), next.certPem);
    const newFp = new X509Certificate(next.certPem).fingerprint256;
    expect(await peerFingerprint(port)).not.toBe(newFp);
    process.kill(s.pid, "SIGHUP");
    await until(() => s.logs().some((l) => l.includes("TLS certificate reloaded")));
    expect(s.logs().some((l) => l.includes("TLS reload failed"))).toBe(false);
    // 30 new connections spread over both threads: a thread still on the old certificate
    // would show up in about half of them.
    for (let i = 0; i < 30; i++) expect(await peerFingerprint(port)).toBe(newFp);
    const from = s.logs().length;
    // The fixture's fetch pins the old certificate as CA: check the new one by fingerprint above.
    for (let i = 0; i < 30; i++) {
      const r = await fetch(`${s.url}/v1/health`, { headers: { connection: "close" }, tls: { ca: next.certPem } } as RequestInit);
      expect(r.status).toBe(200);
    }
    await until(() => servedBy(s, from).size === 2);
    expect(await s.stop()).toBe(0);
    expect(s.logs().some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });
});

describe("workers = 2 with a passphrase: shared rate limits and vault state", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({
      passphrase: PASSPHRASE, startSealed: true,
      sections: {
        server: "workers = 2",
        rate_limit: "login_rate = 1000\nlogin_burst = 1000\nvalidate_rate = 0.001\nvalidate_burst = 25\nunseal_rate = 1000\nunseal_burst = 1000",
      },
    });
  }, 90_000);
  afterAll(async () => { if (s) { await s.stop(); removeDir(s.dir); } }, 60_000);

  test("an unseal through one thread opens the vault in every thread", async () => {
    expect((await fresh(s, "GET", "/v1/vault/status")).body.sealed).toBe(true);
    expect((await fresh(s, "POST", "/v1/vault/unseal", { json: { passphrase: PASSPHRASE } })).status).toBe(200);
    const from = s.logs().length;
    for (let i = 0; i < 30; i++) expect((await fresh(s, "GET", "/v1/vault/status")).body.sealed).toBe(false);
    expect(servedBy(s, from).size).toBe(2);
  }, 60_000);

  test("the validate burst (25) is exact across both threads, not doubled", async () => {
    const from = s.logs().length;
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await fresh(s, "POST", "/v1/token/validate", { json: { token: "x.y.z" } })).status);
    expect(statuses.filter((c) => c === 200)).toHaveLength(25);
    expect(statuses.filter((c) => c === 429)).toHaveLength(35);
    expect(statuses.slice(25).every((c) => c === 429)).toBe(true);
    expect(servedBy(s, from).size).toBe(2);
  });

  test("a seal through one thread holds in every thread at once; unseal opens them all again", async () => {
    const admin = await s.adminToken();
    expect((await fresh(s, "GET", "/v1/auth/me", { token: admin })).status).toBe(200);
    expect((await fresh(s, "POST", "/v1/vault/seal", { token: admin })).status).toBe(200);
    const from = s.logs().length;
    for (let i = 0; i < 40; i++) {
      const r = await fresh(s, "GET", "/v1/auth/me", { token: admin });
      expect(r.status).toBe(503);
      expect(r.body.code).toBe("vault_sealed");
    }
    expect(servedBy(s, from).size).toBe(2);
    expect((await fresh(s, "POST", "/v1/vault/unseal", { json: { passphrase: PASSPHRASE } })).status).toBe(200);
    const from2 = s.logs().length;
    for (let i = 0; i < 40; i++) expect((await fresh(s, "GET", "/v1/auth/me", { token: admin })).status).toBe(200);
    expect(servedBy(s, from2).size).toBe(2);
  }, 60_000);

  test("console: a CSRF token issued by one thread is accepted by the other; a console unseal opens every thread", async () => {
    const admin = await s.adminToken();
    expect((await fresh(s, "POST", "/v1/vault/seal", { token: admin })).status).toBe(200);
    const page = await s.fetch("/unseal", { headers: { connection: "close" } });
    expect(page.status).toBe(200);
    const cookie = /__Host-mcias_csrf=([^;]+)/.exec(page.headers.get("set-cookie") ?? "")?.[1];
    expect(cookie).toBeTruthy();
    expect(await page.text()).toContain(`value="${cookie}"`);
    const post = (passphrase: string) => s.fetch("/unseal", {
      method: "POST", redirect: "manual",
      headers: { connection: "close", cookie: `__Host-mcias_csrf=${cookie}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: cookie!, passphrase }).toString(),
    });
    // Wrong passphrases: the form passes the CSRF check (403 otherwise) in both threads.
    const from = s.logs().length;
    for (let i = 0; i < 8; i++) {
      const r = await post(`wrong-passphrase-${i}-abcdefgh`);
      expect(r.status).toBe(401);
      expect(await r.text()).toContain("Wrong passphrase.");
    }
    expect(servedBy(s, from).size).toBe(2);
    const ok = await post(PASSPHRASE);
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/login?notice=unsealed");
    for (let i = 0; i < 20; i++) expect((await fresh(s, "GET", "/v1/auth/me", { token: admin })).status).toBe(200);
  }, 60_000);
});
