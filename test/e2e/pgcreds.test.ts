/**
 * Postgres credentials through the real HTTPS API (SPEC §3, §4): who reads the
 * password (admin, role-named human, delegate, the system account itself), who gets
 * metadata only (grantees: no `password` key at all), who gets nothing; every read
 * audited; the password never stored or logged in plaintext; a sealed blob moved to
 * another account's row does not open; bad input changes nothing.
 */
import { Database } from "bun:sqlite";
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHuman, createSystem, type TestServer, useServer } from "../helpers/server";

let s: TestServer;
let admin: string;
useServer((x) => { s = x; });
beforeAll(async () => {
  admin = await s.adminToken();
});

const secret = (tag: string) => `pgpw-${tag}-${crypto.randomUUID()}`;
const creds = (password: string, over: Record<string, unknown> = {}) =>
  ({ host: "db.internal", port: 5432, database: "appdb", username: "app", password, ...over });

async function put(id: string, body: unknown, token = admin) {
  return s.call("PUT", `/v1/accounts/${id}/pgcreds`, { token, json: body });
}
async function get(id: string, token: string) {
  return s.call("GET", `/v1/accounts/${id}/pgcreds`, { token });
}
async function auditEvents(type: string) {
  const r = await s.call("GET", `/v1/audit?type=${type}&limit=500`, { token: admin });
  expect(r.status).toBe(200);
  return r.body.events as { id: number; type: string; target_id: string | null; actor: string | null; details: Record<string, unknown> }[];
}
async function issue(id: string) {
  const r = await s.call("POST", `/v1/accounts/${id}/token`, { token: admin });
  expect(r.status).toBe(200);
  return r.body.token as string;
}

describe("reading and writing credentials", () => {
  let svc: string;
  let pw: string;
  beforeAll(async () => {
    svc = await createSystem(s, "billing");
    pw = secret("billing");
    const r = await put(svc, creds(pw));
    expect(r.status).toBe(204);
  });

  test("admin reads the full credential; the read is audited with password_included", async () => {
    const r = await get(svc, admin);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(creds(pw));
    expect(r.headers.get("cache-control")).toBe("no-store");
    const reads = (await auditEvents("pgcred_read")).filter((e) => e.target_id === svc);
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(reads[0]).toMatchObject({ actor: "admin", details: { password_included: true } });
    const upd = (await auditEvents("pgcred_updated")).filter((e) => e.target_id === svc);
    expect(upd.length).toBe(1);
    expect(JSON.stringify(upd)).not.toContain(pw);
  });

  test("the system account reads its own credential but cannot change it or issue its token", async () => {
    const tok = await issue(svc);
    const r = await get(svc, tok);
    expect(r.status).toBe(200);
    expect(r.body.password).toBe(pw);
    expect((await put(svc, creds("other-password"), tok)).status).toBe(403);
    expect((await s.call("POST", `/v1/accounts/${svc}/token`, { token: tok })).status).toBe(403);
    expect((await s.call("GET", `/v1/accounts/${svc}/pgcreds/access`, { token: tok })).status).toBe(403);
    const list = await s.call("GET", "/v1/pgcreds", { token: tok });
    expect(list.body).toEqual([{ account_id: svc, service: "billing", host: "db.internal", port: 5432, database: "appdb", username: "app" }]);
    // Another system account's credential is not its business.
    const other = await createSystem(s, "billing-other");
    expect((await put(other, creds(secret("o")))).status).toBe(204);
    expect((await get(other, tok)).status).toBe(403);
  });

  test("a role-named human reads the password; losing the role takes effect on the next request", async () => {
    const hid = await createHuman(s, "bill", "bill-password-123", ["billing"]);
    const tok = await s.login("bill", "bill-password-123");
    const r = await get(svc, tok);
    expect(r.status).toBe(200);
    expect(r.body.password).toBe(pw);
    expect((await put(svc, creds("x-password"), tok)).status).toBe(403); // writing is admin-only
    expect((await s.call("DELETE", `/v1/accounts/${hid}/roles/billing`, { token: admin })).status).toBe(200);
    expect((await get(svc, tok)).status).toBe(403);
  });

  test("a delegate reads the password; revoking the delegation takes effect on the next request", async () => {
    const did = await createHuman(s, "debbie");
    const tok = await s.login("debbie", "debbie-password-123");
    expect((await get(svc, tok)).status).toBe(403);
    expect((await s.call("POST", `/v1/accounts/${svc}/token/delegates`, { token: admin, json: { grantee_id: did } })).status).toBe(201);
    const r = await get(svc, tok);
    expect(r.status).toBe(200);
    expect(r.body.password).toBe(pw);
    expect((await s.call("DELETE", `/v1/accounts/${svc}/token/delegates/${did}`, { token: admin })).status).toBe(204);
    expect((await get(svc, tok)).status).toBe(403);
  });

  test("an unrelated human gets 403 and sees an empty list", async () => {
    await createHuman(s, "randy");
    const tok = await s.login("randy", "randy-password-123");
    const r = await get(svc, tok);
    expect(r.status).toBe(403);
    expect(r.body.code).toBe("forbidden");
    expect(JSON.stringify(r.body)).not.toContain(pw);
    expect((await s.call("GET", "/v1/pgcreds", { token: tok })).body).toEqual([]);
    expect((await s.call("GET", `/v1/accounts/${svc}/pgcreds/access`, { token: tok })).status).toBe(403);
    expect((await s.call("GET", "/v1/pgcreds")).status).toBe(401);
  });

  test("grants: a manager grants metadata access; the grantee gets no password key; revocation is immediate", async () => {
    const gid = await createHuman(s, "gina");
    const gtok = await s.login("gina", "gina-password-123");
    // A role-named human (a manager, not an admin) grants.
    await createHuman(s, "mona", "mona-password-123", ["billing"]);
    const mtok = await s.login("mona", "mona-password-123");
    const g = await s.call("POST", `/v1/accounts/${svc}/pgcreds/access`, { token: mtok, json: { grantee_id: gid } });
    expect(g.status).toBe(201);
    expect(g.body).toMatchObject({ grantee_id: gid, username: "gina" });
    expect(Object.keys(g.body).sort()).toEqual(["granted_at", "grantee_id", "username"]);
    const list = await s.call("GET", `/v1/accounts/${svc}/pgcreds/access`, { token: mtok });
    expect(list.body).toEqual([g.body]);
    expect((await auditEvents("pgcred_access_granted")).filter((e) => e.target_id === svc).length).toBe(1);

    const r = await get(svc, gtok);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ host: "db.internal", port: 5432, database: "appdb", username: "app" });
    expect("password" in r.body).toBe(false);
    const reads = (await auditEvents("pgcred_read")).filter((e) => e.target_id === svc && e.actor === "gina");
    expect(reads.map((e) => e.details.password_included)).toEqual([false]);
    const mine = await s.call("GET", "/v1/pgcreds", { token: gtok });
    expect(mine.body).toEqual([{ account_id: svc, service: "billing", host: "db.internal", port: 5432, database: "appdb", username: "app" }]);
    // A grantee cannot grant further, nor list grants.
    expect((await s.call("POST", `/v1/accounts/${svc}/pgcreds/access`, { token: gtok, json: { grantee_id: gid } })).status).toBe(403);
    expect((await s.call("GET", `/v1/accounts/${svc}/pgcreds/access`, { token: gtok })).status).toBe(403);

    expect((await s.call("DELETE", `/v1/accounts/${svc}/pgcreds/access/${gid}`, { token: mtok })).status).toBe(204);
    expect((await get(svc, gtok)).status).toBe(403);
    expect((await s.call("GET", "/v1/pgcreds", { token: gtok })).body).toEqual([]);
    expect((await auditEvents("pgcred_access_revoked")).filter((e) => e.target_id === svc).length).toBe(1);
    expect((await s.call("DELETE", `/v1/accounts/${svc}/pgcreds/access/${gid}`, { token: mtok })).status).toBe(404);
  });

  test("admin lists every credential", async () => {
    const r = await s.call("GET", "/v1/pgcreds", { token: admin });
    expect(r.status).toBe(200);
    expect(r.body.map((c: { service: string }) => c.service).sort()).toEqual(["billing", "billing-other"]);
    for (const c of r.body) expect(Object.keys(c).sort()).toEqual(["account_id", "database", "host", "port", "service", "username"]);
  });
});

describe("storage", () => {
  test("the password is neither in the database files nor in the server log", async () => {
    const id = await createSystem(s, "stored");
    const pw = secret("stored");
    expect((await put(id, creds(pw))).status).toBe(204);
    expect((await get(id, admin)).body.password).toBe(pw);
    const needle = Buffer.from(pw);
    const dbPath = join(s.dir, "mcias.db");
    for (const f of [dbPath, `${dbPath}-wal`]) {
      if (!existsSync(f)) continue;
      expect(readFileSync(f).includes(needle)).toBe(false);
    }
    expect(existsSync(dbPath)).toBe(true);
    expect(s.logs().join("\n")).not.toContain(pw);
  });

  test("a sealed password copied to another account's row does not decrypt there (clear 409, never the other password)", async () => {
    const a = await createSystem(s, "moved-a");
    const b = await createSystem(s, "moved-b");
    const pa = secret("a");
    const pb = secret("b");
    expect((await put(a, creds(pa, { database: "adb" }))).status).toBe(204);
    expect((await put(b, creds(pb, { database: "bdb" }))).status).toBe(204);
    // A second connection to the live database file, as an attacker with file access would have.
    const db = new Database(join(s.dir, "mcias.db"));
    db.run("PRAGMA busy_timeout = 5000");
    const blobA = db.query<{ password_enc: Uint8Array }, [string]>("SELECT password_enc FROM pg_credentials WHERE account_id = ?").get(a)!.password_enc;
    db.run("UPDATE pg_credentials SET password_enc = ? WHERE account_id = ?", [blobA, b]);
    db.close();

    const r = await get(b, admin);
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("conflict");
    expect(JSON.stringify(r.body)).not.toContain(pa);
    expect(s.logs().join("\n")).not.toContain(pa);
    const failed = (await auditEvents("pgcred_read")).filter((e) => e.target_id === b);
    expect(failed[0]!.details).toMatchObject({ password_included: false, decrypt_failed: true });
    // The system account itself gets the same clear error.
    expect((await get(b, await issue(b))).status).toBe(409);
    // Metadata readers are unaffected.
    const gid = await createHuman(s, "meta");
    expect((await s.call("POST", `/v1/accounts/${b}/pgcreds/access`, { token: admin, json: { grantee_id: gid } })).status).toBe(201);
    const meta = await get(b, await s.login("meta", "meta-password-123"));
    expect(meta.status).toBe(200);
    expect(meta.body.database).toBe("bdb");
    // The owner of the blob still reads its own password; setting b again repairs it.
    expect((await get(a, admin)).body.password).toBe(pa);
    expect((await put(b, creds(pb, { database: "bdb" }))).status).toBe(204);
    expect((await get(b, admin)).body.password).toBe(pb);
  });
});

describe("bad input changes nothing", () => {
  test("validation failures are 4xx, and the stored credential and audit log are unchanged", async () => {
    const id = await createSystem(s, "strict");
    const hid = await createHuman(s, "humphrey");
    const pw = secret("strict");
    expect((await put(id, creds(pw))).status).toBe(204);
    const updatedBefore = (await auditEvents("pgcred_updated")).length;
    const grantedBefore = (await auditEvents("pgcred_access_granted")).length;
    const unknown = crypto.randomUUID();
    const np = "new-password-xyz";

    const bodies: [unknown, number][] = [
      [creds(np, { port: 0 }), 400],
      [creds(np, { port: 65536 }), 400],
      [creds(np, { port: -1 }), 400],
      [creds(np, { port: 5432.5 }), 400],
      [creds(np, { port: "5432" }), 400],
      [creds(np, { port: null }), 400],
      [creds(np, { host: "" }), 400],
      [creds(np, { host: "a".repeat(254) }), 400],
      [creds(np, { host: "db host" }), 400],
      [creds(np, { database: "" }), 400],
      [creds(np, { database: "d".repeat(64) }), 400],
      [creds(np, { username: "u".repeat(64) }), 400],
      [creds(np, { username: "" }), 400],
      [creds(""), 400],
      [creds("p".repeat(1025)), 400],
      [creds(np, { extra: true }), 400],
      [{ host: "h", port: 1, database: "d", username: "u" }, 400],
      [[], 400],
      [creds("p".repeat(70 * 1024)), 413],
    ];
    for (const [body, status] of bodies) {
      const r = await put(id, body);
      expect({ body: JSON.stringify(body).slice(0, 120), status: r.status }).toEqual({ body: JSON.stringify(body).slice(0, 120), status });
      expect(JSON.stringify(r.body)).not.toContain(np);
    }
    const malformed = await s.fetch(`/v1/accounts/${id}/pgcreds`, { method: "PUT", token: admin, headers: { "content-type": "application/json" }, body: '{"host":' });
    expect(malformed.status).toBe(400);

    const wrongTarget: [string, string, unknown, number, string][] = [
      ["PUT", `/v1/accounts/${unknown}/pgcreds`, creds(np), 404, "not_found"],
      ["PUT", `/v1/accounts/${hid}/pgcreds`, creds(np), 400, "bad_request"],
      ["GET", `/v1/accounts/${unknown}/pgcreds`, undefined, 404, "not_found"],
      ["GET", `/v1/accounts/${hid}/pgcreds`, undefined, 400, "bad_request"],
      ["GET", `/v1/accounts/not-a-uuid/pgcreds`, undefined, 400, "bad_request"],
      ["POST", `/v1/accounts/${id}/pgcreds/access`, { grantee_id: unknown }, 404, "not_found"],
      ["POST", `/v1/accounts/${id}/pgcreds/access`, { grantee_id: id }, 400, "bad_request"],
      ["POST", `/v1/accounts/${id}/pgcreds/access`, { grantee_id: "x" }, 400, "bad_request"],
      ["POST", `/v1/accounts/${hid}/pgcreds/access`, { grantee_id: id }, 400, "bad_request"],
      ["POST", `/v1/accounts/${unknown}/pgcreds/access`, { grantee_id: hid }, 404, "not_found"],
      ["DELETE", `/v1/accounts/${id}/pgcreds/access/${hid}`, undefined, 404, "not_found"],
    ];
    for (const [m, p, json, status, code] of wrongTarget) {
      const r = await s.call(m, p, { token: admin, json });
      expect({ m, p, status: r.status, code: r.body?.code }).toEqual({ m, p, status, code });
    }
    // A system account without credentials: 404 on read.
    const empty = await createSystem(s, "no-creds");
    expect((await get(empty, admin)).status).toBe(404);

    expect((await get(id, admin)).body).toEqual(creds(pw));
    expect((await auditEvents("pgcred_updated")).length).toBe(updatedBefore);
    expect((await auditEvents("pgcred_access_granted")).length).toBe(grantedBefore);
    expect((await s.call("GET", `/v1/accounts/${id}/pgcreds/access`, { token: admin })).body).toEqual([]);
    expect((await s.call("GET", `/v1/accounts/${hid}/pgcreds`, { token: admin })).status).toBe(400);
  });

  test("port bounds 1 and 65535 are accepted", async () => {
    const id = await createSystem(s, "edges");
    expect((await put(id, creds("pw-1", { port: 1 }))).status).toBe(204);
    expect((await get(id, admin)).body.port).toBe(1);
    expect((await put(id, creds("pw-2", { port: 65535, host: "h".repeat(253), database: "d".repeat(63), username: "u".repeat(63) }))).status).toBe(204);
    expect((await get(id, admin)).body).toMatchObject({ port: 65535, password: "pw-2" });
  });
});
