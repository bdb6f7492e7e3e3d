/**
 * `mcias db` beside a RUNNING server (SPEC §10): a change made with the break-glass
 * tool (role, status, token revocation, recovery) takes effect on the server's very
 * next request; every write is an audit row with actor `mcias-db`; the runbook's
 * recovery scenarios (locked-out admin, lost authenticator, no admin left,
 * compromised tokens) work as written.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { totpCodeAt } from "../../src/crypto/totp";
import { createHuman, createSystem, type TestServer, useServer } from "../helpers/server";

let s: TestServer;
let admin: string;
// Lockout after 3 failures keeps the locked-out-admin scenario short.
useServer((x) => { s = x; }, { sections: { lockout: "max_failures = 3\nwindow = \"15m\"\nduration = \"15m\"" } });
beforeAll(async () => { admin = await s.adminToken(); });

const me = (token: string) => s.call("GET", "/v1/auth/me", { token });
const login = (username: string, password: string, totp_code?: string) =>
  s.call("POST", "/v1/auth/login", { json: { username, password, ...(totp_code ? { totp_code } : {}) } });

async function dbAudit(args: string[]): Promise<{ type: string; actor: string | null; target: string | null; details: Record<string, unknown> }[]> {
  const r = await s.mcias(["db", "audit", "query", "--json", ...args]);
  expect(r.code).toBe(0);
  return r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

describe("changes made with mcias db reach the running server on its next request", () => {
  test("role grant / revoke: authorization follows the database at once", async () => {
    const id = await createHuman(s, "rolly");
    const tok = await s.login("rolly", "rolly-password-123");
    expect((await s.call("GET", "/v1/accounts", { token: tok })).status).toBe(403);

    const g = await s.mcias(["db", "role", "grant", "--username", "rolly", "--role", "admin"]);
    expect(g.code).toBe(0);
    expect(g.stdout.trim()).toBe("admin");
    expect((await s.call("GET", "/v1/accounts", { token: tok })).status).toBe(200);

    const l = await s.mcias(["db", "role", "list", "--id", id]);
    expect(l.stdout.trim().split("\n")).toEqual(["admin"]);

    const r = await s.mcias(["db", "role", "revoke", "--id", id, "--role", "admin"]);
    expect(r.code).toBe(0);
    expect((await s.call("GET", "/v1/accounts", { token: tok })).status).toBe(403);

    // revoking a role the account does not hold: refused, exit 1
    expect((await s.mcias(["db", "role", "revoke", "--id", id, "--role", "admin"])).code).toBe(1);
    const rows = await dbAudit(["--account", "rolly"]);
    expect(rows.filter((e) => e.type === "role_granted" && e.actor === "mcias-db").length).toBe(1);
    expect(rows.filter((e) => e.type === "role_revoked" && e.actor === "mcias-db").length).toBe(1);
    // the server's own audit API sees the same rows
    const api = await s.call("GET", `/v1/audit?account=${id}&type=role_granted`, { token: admin });
    expect(api.body.events[0].actor).toBe("mcias-db");
  });

  test("set-status inactive: the token is refused on the next request; active again clears lockout", async () => {
    const id = await createHuman(s, "stella");
    const tok = await s.login("stella", "stella-password-123");
    expect((await me(tok)).status).toBe(200);
    const r = await s.mcias(["db", "account", "set-status", "--username", "stella", "--status", "inactive"]);
    expect(r.code).toBe(0);
    expect((await me(tok)).status).toBe(401);
    expect((await login("stella", "stella-password-123")).status).toBe(401);
    expect((await s.mcias(["db", "account", "set-status", "--id", id, "--status", "active"])).code).toBe(0);
    expect((await login("stella", "stella-password-123")).status).toBe(200);
    // the old token stays revoked (going inactive revoked it)
    expect((await me(tok)).status).toBe(401);
    // bad value: usage error, nothing changed
    const bad = await s.mcias(["db", "account", "set-status", "--id", id, "--status", "deleted"]);
    expect(bad.code).toBe(2);
    expect((await s.call("GET", `/v1/accounts/${id}`, { token: admin })).body.status).toBe("active");
    const rows = await dbAudit(["--account", id, "--type", "account_updated"]);
    expect(rows.map((e) => e.details.status)).toEqual(["inactive", "active"]);
  });

  test("token list / revoke --jti / revoke-all: refused on the next request", async () => {
    const id = await createHuman(s, "tokyo");
    const t1 = await s.login("tokyo", "tokyo-password-123");
    const t2 = await s.login("tokyo", "tokyo-password-123");
    const t3 = await s.login("tokyo", "tokyo-password-123");
    const list = await s.mcias(["db", "token", "list", "--username", "tokyo"]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split("\n");
    expect(lines.length).toBe(3);
    expect(lines.every((l) => l.endsWith("\tlive"))).toBe(true);

    const jti1 = JSON.parse(atob(t1.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).jti as string;
    const rv = await s.mcias(["db", "token", "revoke", "--jti", jti1]);
    expect(rv.code).toBe(0);
    expect((await me(t1)).status).toBe(401);
    expect((await me(t2)).status).toBe(200);

    const all = await s.mcias(["db", "token", "revoke-all", "--id", id]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain("revoked 2 token(s)");
    expect((await me(t2)).status).toBe(401);
    expect((await me(t3)).status).toBe(401);
    const json = await s.mcias(["db", "token", "list", "--id", id, "--json"]);
    const views = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(views.every((v) => typeof v.revoked_at === "string")).toBe(true);
    expect(Object.keys(views[0]).sort()).toEqual(["expires_at", "issued_at", "jti", "revoked_at"]);

    // unknown jti: exit 1, not found
    const unknown = await s.mcias(["db", "token", "revoke", "--jti", crypto.randomUUID()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("not_found");
    const rows = await dbAudit(["--account", id, "--type", "token_revoked"]);
    expect(rows.length).toBe(2);
    expect(rows.every((e) => e.actor === "mcias-db")).toBe(true);
    expect(rows[1]!.details).toEqual({ all: true, count: 2 });
  });
});

describe("runbook: recovery scenarios", () => {
  test("locked-out admin: recover gives a new password once, clears lockout, revokes old tokens", async () => {
    await createHuman(s, "boss", "boss-password-1234", ["admin"]);
    const old = await s.login("boss", "boss-password-1234");
    for (let i = 0; i < 3; i++) expect((await login("boss", "wrong-password-123")).status).toBe(401);
    // locked: even the right password is refused now
    expect((await login("boss", "boss-password-1234")).status).toBe(401);

    const r = await s.mcias(["db", "account", "recover", "--username", "boss"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n").filter(Boolean);
    expect(lines.length).toBe(1); // stdout holds the password alone
    const pw = lines[0]!;
    expect(pw.length).toBeGreaterThanOrEqual(20);
    expect(r.stderr).not.toContain(pw);

    expect((await me(old)).status).toBe(401);
    const fresh = await login("boss", pw);
    expect(fresh.status).toBe(200);
    expect((await s.call("GET", "/v1/accounts", { token: fresh.body.token })).status).toBe(200);
    // the password is in no audit row, and no server log line
    const rows = await dbAudit(["--account", "boss"]);
    expect(JSON.stringify(rows)).not.toContain(pw);
    expect(rows.some((e) => e.type === "password_changed" && e.actor === "mcias-db")).toBe(true);
    expect(s.logs().join("\n")).not.toContain(pw);
  });

  test("locked out but the password is known: set-status active clears the lockout, nothing else", async () => {
    await createHuman(s, "known", "known-password-123", ["admin"]);
    const tok = await s.login("known", "known-password-123");
    for (let i = 0; i < 3; i++) expect((await login("known", "wrong-password-123")).status).toBe(401);
    expect((await login("known", "known-password-123")).status).toBe(401);
    expect((await s.mcias(["db", "account", "set-status", "--username", "known", "--status", "active"])).code).toBe(0);
    expect((await login("known", "known-password-123")).status).toBe(200);
    expect((await me(tok)).status).toBe(200); // its sessions were not touched
  });

  test("lost authenticator: recover --reset-totp removes TOTP; reset-totp alone does too", async () => {
    const id = await createHuman(s, "toto");
    const tok = await s.login("toto", "toto-password-123");
    const en = await s.call("POST", "/v1/auth/totp/enroll", { token: tok, json: { current_password: "toto-password-123" } });
    expect((await s.call("POST", "/v1/auth/totp/confirm", { token: tok, json: { code: totpCodeAt(en.body.secret, Date.now()) } })).status).toBe(200);
    expect((await login("toto", "toto-password-123")).status).toBe(401);

    // recover without --reset-totp keeps the second factor
    const r1 = await s.mcias(["db", "account", "recover", "--id", id]);
    expect(r1.code).toBe(0);
    expect(r1.stderr).toContain("--reset-totp");
    const pw1 = r1.stdout.trim();
    expect((await login("toto", pw1)).status).toBe(401);

    const r2 = await s.mcias(["db", "account", "recover", "--id", id, "--reset-totp"]);
    expect(r2.code).toBe(0);
    const pw2 = r2.stdout.trim();
    expect((await login("toto", pw1)).status).toBe(401);
    expect((await login("toto", pw2)).status).toBe(200);
    expect((await s.call("GET", `/v1/accounts/${id}`, { token: admin })).body.totp_enabled).toBe(false);

    // reset-totp on its own
    const t2 = (await login("toto", pw2)).body.token;
    const en2 = await s.call("POST", "/v1/auth/totp/enroll", { token: t2, json: { current_password: pw2 } });
    expect((await s.call("POST", "/v1/auth/totp/confirm", { token: t2, json: { code: totpCodeAt(en2.body.secret, Date.now()) } })).status).toBe(200);
    expect((await login("toto", pw2)).status).toBe(401);
    expect((await s.mcias(["db", "account", "reset-totp", "--username", "toto"])).code).toBe(0);
    expect((await login("toto", pw2)).status).toBe(200);
    expect((await dbAudit(["--account", id, "--type", "totp_removed"])).length).toBe(2);
  });

  test("no usable admin: recover --admin on an inactive human reactivates it and grants admin", async () => {
    const id = await createHuman(s, "heir");
    expect((await s.mcias(["db", "account", "set-status", "--id", id, "--status", "inactive"])).code).toBe(0);
    const r = await s.mcias(["db", "account", "recover", "--username", "heir", "--admin"]);
    expect(r.code).toBe(0);
    const tok = (await login("heir", r.stdout.trim())).body.token;
    const acct = await s.call("GET", `/v1/accounts/${id}`, { token: tok });
    expect(acct.status).toBe(200);
    expect(acct.body).toMatchObject({ status: "active", roles: ["admin"] });
    const get = await s.mcias(["db", "account", "get", "--id", id]);
    expect(JSON.parse(get.stdout)).toEqual(acct.body);
  });

  test("recover refuses deleted and system accounts and unknown names, changing nothing", async () => {
    const id = await createHuman(s, "gone");
    expect((await s.call("DELETE", `/v1/accounts/${id}`, { token: admin })).status).toBe(204);
    const before = (await s.mcias(["db", "audit", "query", "--account", id, "--json"])).stdout;
    const del = await s.mcias(["db", "account", "recover", "--username", "gone", "--admin"]);
    expect(del.code).toBe(1);
    expect(del.stderr).toContain("conflict");
    expect(del.stdout).toBe("");
    const after = (await s.mcias(["db", "audit", "query", "--account", id, "--json"])).stdout;
    expect(after).toBe(before);
    expect(JSON.parse((await s.mcias(["db", "account", "get", "--id", id])).stdout)).toMatchObject({ status: "deleted", roles: [] });

    await createSystem(s, "robot");
    const sys = await s.mcias(["db", "account", "recover", "--username", "robot"]);
    expect(sys.code).toBe(1);
    expect(sys.stderr).toContain("bad_request");

    const none = await s.mcias(["db", "account", "recover", "--username", "nobody-here"]);
    expect(none.code).toBe(1);
    expect((await s.mcias(["db", "account", "recover"])).code).toBe(2);
  });

  test("account list shows deleted accounts too, as a table with a header and as JSON lines", async () => {
    const r = await s.mcias(["db", "account", "list"]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split("\n").map((l) => l.split(/\s+/));
    expect(rows[0]!.slice(0, 4)).toEqual(["ID", "USERNAME", "TYPE", "STATUS"]);
    const gone = rows.find((l) => l[1] === "gone");
    expect(gone?.[3]).toBe("deleted");
    const j = await s.mcias(["db", "account", "list", "--json"]);
    const names = j.stdout.trim().split("\n").map((l) => JSON.parse(l).username);
    expect(names).toContain("admin");
    expect(names).toContain("gone");
  });
});
