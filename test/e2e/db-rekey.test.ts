/**
 * `mcias db rekey` (SPEC §10, §6): every value sealed under the master key moves to a
 * new key in one transaction — keyfile → passphrase, then passphrase → keyfile — and
 * the server starts with the new one with nothing lost: the same signing key (kid) so
 * old tokens verify, TOTP still works (confirmed and pending), Postgres passwords
 * still read. A rekey that fails part-way, or is refused, leaves the old state intact.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { totpCodeAt } from "../../src/crypto/totp";
import { createHuman, createSystem, removeDir, startServer, type TestServer } from "../helpers/server";

const NEWPASS = "a brand new master passphrase";
const PGPASS = `pg-${crypto.randomUUID()}`;

let s: TestServer;
let dir: string;
let admin: string;
let kid0: string;
let tinaSecret: string;
let penSecret: string;
let sysId: string;
let sysToken: string;

beforeAll(async () => {
  s = await startServer();
  dir = s.dir;
  admin = await s.adminToken();
  kid0 = (await s.call("GET", "/v1/keys/public")).body.kid;
  // tina: confirmed TOTP (confirmed with the previous step's code, so later steps stay free)
  await createHuman(s, "tina");
  const tt = await s.login("tina", "tina-password-123");
  tinaSecret = (await s.call("POST", "/v1/auth/totp/enroll", { token: tt, json: { current_password: "tina-password-123" } })).body.secret;
  expect((await s.call("POST", "/v1/auth/totp/confirm", { token: tt, json: { code: totpCodeAt(tinaSecret, Date.now() - 30_000) } })).status).toBe(200);
  // pen: enrolled, not confirmed (a pending secret must move too)
  await createHuman(s, "pen");
  const pt = await s.login("pen", "pen-password-123");
  penSecret = (await s.call("POST", "/v1/auth/totp/enroll", { token: pt, json: { current_password: "pen-password-123" } })).body.secret;
  // a system account with Postgres credentials and a token
  sysId = await createSystem(s, "billing");
  expect((await s.call("PUT", `/v1/accounts/${sysId}/pgcreds`, { token: admin, json: { host: "db.internal", port: 5432, database: "billing", username: "billing", password: PGPASS } })).status).toBe(204);
  sysToken = (await s.call("POST", `/v1/accounts/${sysId}/token`, { token: admin })).body.token;
});
afterAll(async () => { await s.stop(); removeDir(dir); });

/** Every encrypted column (and the KDF row), hex-encoded, to compare before/after. */
function snapshot(): string {
  const db = new Database(join(dir, "mcias.db"), { readonly: true });
  try {
    const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString("hex") : null);
    const cfg = db.query<{ key_check: Uint8Array; signing_key_enc: Uint8Array; kdf_salt: Uint8Array | null; kdf_params: string | null }, []>(
      "SELECT key_check, signing_key_enc, kdf_salt, kdf_params FROM server_config").get()!;
    const totp = db.query<{ id: string; s: Uint8Array | null; p: Uint8Array | null }, []>(
      "SELECT id, totp_secret_enc AS s, totp_pending_enc AS p FROM accounts ORDER BY id").all();
    const pg = db.query<{ account_id: string; password_enc: Uint8Array }, []>("SELECT account_id, password_enc FROM pg_credentials").all();
    return JSON.stringify({
      kc: hex(cfg.key_check), sk: hex(cfg.signing_key_enc), salt: hex(cfg.kdf_salt), params: cfg.kdf_params,
      totp: totp.map((r) => [r.id, hex(r.s), hex(r.p)]), pg: pg.map((r) => [r.account_id, hex(r.password_enc)]),
    });
  } finally {
    db.close();
  }
}

function setMasterKey(line: string): void {
  const p = join(dir, "mcias.toml");
  writeFileSync(p, readFileSync(p, "utf8").replace(/^(keyfile|passphrase_env) = .*$/m, line));
}

/** What must survive every rekey, checked against a server started on the new key. */
async function nothingLost(totpAtMs: number) {
  expect((await s.call("GET", "/v1/vault/status")).body).toEqual({ sealed: false });
  expect((await s.call("GET", "/v1/keys/public")).body.kid).toBe(kid0);
  expect((await s.call("GET", "/v1/auth/me", { token: admin })).status).toBe(200);
  expect((await s.call("POST", "/v1/token/validate", { json: { token: sysToken } })).body.valid).toBe(true);
  const pg = await s.call("GET", `/v1/accounts/${sysId}/pgcreds`, { token: admin });
  expect(pg.status).toBe(200);
  expect(pg.body.password).toBe(PGPASS);
  const totpLogin = await s.call("POST", "/v1/auth/login", { json: { username: "tina", password: "tina-password-123", totp_code: totpCodeAt(tinaSecret, totpAtMs) } });
  expect(totpLogin.status).toBe(200);
}

describe("rekey", () => {
  test("refused while the server runs (it holds the old key in memory); nothing changes", async () => {
    const before = snapshot();
    const r = await s.mcias(["db", "rekey", "--to-passphrase"], { stdin: `${NEWPASS}\n${NEWPASS}\n` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("stop the server");
    expect(snapshot()).toBe(before);
    expect((await s.call("GET", "/v1/auth/me", { token: admin })).status).toBe(200);
  });

  test("bad requests are refused before anything moves", async () => {
    expect(await s.stop()).toBe(0);
    const before = snapshot();
    expect((await s.mcias(["db", "rekey"])).code).toBe(2);
    expect((await s.mcias(["db", "rekey", "--to-passphrase", "--new-keyfile", join(dir, "x.key")])).code).toBe(2);
    expect((await s.mcias(["db", "rekey", "--to-passphrase"], { stdin: `${NEWPASS}\n${NEWPASS}x\n` })).code).toBe(1);
    const short = await s.mcias(["db", "rekey", "--to-passphrase"], { stdin: "fifteen-chars-x\nfifteen-chars-x\n" });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("bad_request");
    // a world-readable target keyfile is refused
    const loose = join(dir, "loose.key");
    writeFileSync(loose, Buffer.alloc(32, 7).toString("base64"));
    chmodSync(loose, 0o644);
    expect((await s.mcias(["db", "rekey", "--new-keyfile", loose])).code).toBe(1);
    // the current keyfile again: "new" key is the current one
    expect((await s.mcias(["db", "rekey", "--new-keyfile", join(dir, "master.key")])).code).toBe(1);
    expect(snapshot()).toBe(before);
  });

  test("a failure part-way (an undecryptable blob late in the transaction) leaves the old state intact", async () => {
    const db = new Database(join(dir, "mcias.db"));
    const orig = db.query<{ password_enc: Uint8Array }, [string]>("SELECT password_enc FROM pg_credentials WHERE account_id = ?").get(sysId)!.password_enc;
    const bad = Buffer.from(orig);
    bad[bad.length - 1]! ^= 1;
    db.run("UPDATE pg_credentials SET password_enc = ? WHERE account_id = ?", [bad, sysId]);
    db.close();
    const before = snapshot();
    const target = join(dir, "never.key");
    const r = await s.mcias(["db", "rekey", "--new-keyfile", target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Postgres password");
    expect(snapshot()).toBe(before); // key check, signing key and TOTP rows were rolled back
    const fix = new Database(join(dir, "mcias.db"));
    fix.run("UPDATE pg_credentials SET password_enc = ? WHERE account_id = ?", [orig, sysId]);
    fix.close();
    // The keyfile was written before the transaction (so a crash can never lose the key);
    // the old one still opens everything.
    expect(existsSync(target)).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    const still = await s.mcias(["db", "pgcreds", "get", "--id", sysId]);
    expect(still.code).toBe(0);
    expect(JSON.parse(still.stdout).password).toBe(PGPASS);
  });

  test("keyfile → passphrase: one transaction, then the server starts on the passphrase with nothing lost", async () => {
    const before = JSON.parse(snapshot());
    const r = await s.mcias(["db", "rekey", "--to-passphrase"], { stdin: `${NEWPASS}\n${NEWPASS}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`passphrase_env = "MCIAS_MASTER_PASSPHRASE"`);
    expect(r.stdout).toContain(kid0);
    expect(r.stdout).not.toContain(NEWPASS);
    const after = JSON.parse(snapshot());
    expect(after.kc).not.toBe(before.kc);
    expect(after.sk).not.toBe(before.sk);
    expect(after.salt).not.toBeNull();
    expect(after.pg[0][1]).not.toBe(before.pg[0][1]);
    // every TOTP ciphertext (tina's confirmed, pen's pending) was rewritten, none dropped
    type Row = [string, string | null, string | null];
    const blobs = (xs: Row[]) => xs.flatMap((x) => [x[1], x[2]]).filter((b): b is string => b !== null);
    expect(blobs(after.totp).length).toBe(2);
    expect(blobs(after.totp).some((b) => blobs(before.totp).includes(b))).toBe(false);

    // the old keyfile no longer opens the database
    const old = await s.mcias(["db", "pgcreds", "get", "--id", sysId]);
    expect(old.code).toBe(1);
    expect(old.stderr).toContain("does not match");

    setMasterKey(`passphrase_env = "MCIAS_TEST_PASSPHRASE"`);
    // a wrong passphrase is told apart at once
    const wrong = await s.mcias(["db", "pgcreds", "get", "--id", sysId], { env: { MCIAS_TEST_PASSPHRASE: "not the passphrase at all" } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("does not match");

    s = await startServer({ dir, passphrase: NEWPASS });
    await nothingLost(Date.now());
    // the pending enrollment moved too: it confirms now
    const pt = await s.login("pen", "pen-password-123");
    expect((await s.call("POST", "/v1/auth/totp/confirm", { token: pt, json: { code: totpCodeAt(penSecret, Date.now()) } })).status).toBe(200);
  });

  test("passphrase → keyfile (re-running with the keyfile an earlier failed attempt created): the server starts on it with nothing lost", async () => {
    expect(await s.stop()).toBe(0);
    const target = join(dir, "never.key");
    // current passphrase from the environment, as the server gets it
    const r = await s.mcias(["db", "rekey", "--new-keyfile", target], { env: { MCIAS_TEST_PASSPHRASE: NEWPASS } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`keyfile = "${target}"`);
    expect(r.stdout).not.toContain("created");
    const after = JSON.parse(snapshot());
    expect(after.salt).toBeNull(); // a keyfile has no KDF

    // the passphrase no longer opens it
    const wrong = await s.mcias(["db", "pgcreds", "get", "--id", sysId], { env: { MCIAS_TEST_PASSPHRASE: NEWPASS } });
    expect(wrong.code).toBe(1);

    setMasterKey(`keyfile = "never.key"`);
    s = await startServer({ dir });
    // the next TOTP step: the previous login used the current one (replay protection)
    await nothingLost(Date.now() + 30_000);

    const rows = (await s.mcias(["db", "audit", "query", "--type", "master_key_rotated", "--json"])).stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(rows.map((e) => [e.actor, e.details.to, e.details.kid, e.details.pgcreds, e.details.totp_secrets])).toEqual([
      ["mcias-db", "passphrase", kid0, 1, 2],
      ["mcias-db", "keyfile", kid0, 1, 2],
    ]);
  });
});
