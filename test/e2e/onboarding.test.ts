/**
 * Onboarding friends (SPEC §15) over REST against the compiled server: invite and
 * reset links (single use, expiry, a new link revokes the old, one 404 for every bad
 * link, nothing written by a failed accept, audit rows), recovery codes (each once,
 * regeneration kills the old set), email/display_name and username folding, and the
 * property that no response, log line or audit row holds an invite token or a
 * recovery code.
 */
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { totpCodeAt } from "../../src/crypto/totp";
import { createHuman, createSystem, runMcias, startServer, removeDir, useServer, type TestServer } from "../helpers/server";

let s: TestServer;
useServer((srv) => { s = srv; });

/** Every secret a test saw; the leak check at the end looks for each. */
const secrets: string[] = [];

const tokenOf = (url: string) => {
  const m = /\/invite\/([A-Za-z0-9_-]{43})$/.exec(url);
  if (!m) throw new Error(`not an invite URL: ${url}`);
  secrets.push(m[1]!);
  return m[1]!;
};

async function invite(srv: TestServer, id: string) {
  const r = await srv.call("POST", `/v1/accounts/${id}/invite`, { token: await srv.adminToken() });
  expect(r.status).toBe(201);
  expect(Object.keys(r.body).sort()).toEqual(["expires_at", "url"]);
  return { url: r.body.url as string, token: tokenOf(r.body.url), expires_at: r.body.expires_at as string };
}

const accept = (srv: TestServer, token: string, password: string) =>
  srv.call("POST", `/v1/invites/${token}/accept`, { json: { password } });

/** A snapshot of everything a failed accept must leave alone. */
function snapshot(srv: TestServer) {
  const db = new Database(join(srv.dir, "mcias.db"), { readonly: true });
  try {
    const q = (sql: string) => JSON.stringify(db.query(sql).all());
    return {
      audit: q("SELECT COUNT(*) AS n FROM audit_log"),
      invites: q("SELECT token_hash, used_at, revoked_at FROM invites ORDER BY token_hash"),
      accounts: q("SELECT id, password_hash, failed_count, locked_until, updated_at FROM accounts ORDER BY id"),
      tokens: q("SELECT COUNT(*) AS n FROM tokens"),
    };
  } finally {
    db.close();
  }
}

async function audit(srv: TestServer, account: string, type: string) {
  const r = await srv.call("GET", `/v1/audit?account=${account}&type=${type}&limit=500`, { token: await srv.adminToken() });
  expect(r.status).toBe(200);
  return r.body.events as { type: string; details: Record<string, unknown>; actor: string | null }[];
}

describe("invite links", () => {
  test("create → accept → signed in; the link is single use; login works with the chosen password", async () => {
    const c = await s.call("POST", "/v1/accounts", { token: await s.adminToken(), json: { username: "Friend.One", account_type: "human", email: "Friend@Example.org", display_name: "Friend One" } });
    expect(c.status).toBe(201);
    expect(c.body.username).toBe("friend.one");
    expect(c.body.email).toBe("Friend@Example.org");
    expect(c.body.display_name).toBe("Friend One");
    const id = c.body.id as string;
    const inv = await invite(s, id);
    expect(inv.url.startsWith("https://mcias.test/invite/")).toBe(true);
    const ttl = Date.parse(inv.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(71 * 3600_000);
    expect(ttl).toBeLessThanOrEqual(72 * 3600_000);

    const r = await accept(s, inv.token, "friend-one-chosen-pw");
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(["expires_at", "token"]);
    const me = await s.call("GET", "/v1/auth/me", { token: r.body.token });
    expect(me.body.username).toBe("friend.one");
    expect((await s.login("Friend.One", "friend-one-chosen-pw")).length).toBeGreaterThan(20);

    const again = await accept(s, inv.token, "another-password-123");
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ error: "invite link is unknown, used or expired", code: "not_found" });

    const created = await audit(s, id, "invite_created");
    expect(created).toHaveLength(1);
    expect(created[0]!.actor).toBe("admin");
    expect(created[0]!.details.reset).toBe(false);
    const accepted = await audit(s, id, "invite_accepted");
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.actor).toBe("friend.one");
  });

  test("unknown, malformed, used, revoked and expired links: the same 404, and nothing is written", async () => {
    const id = await createHuman(s, "friend-two");
    const old = await invite(s, id);
    const current = await invite(s, id); // revokes the old one
    expect((await audit(s, id, "invite_created"))[0]!.details.previous_revoked).toBe(1);
    const before = snapshot(s);
    const bodies: unknown[] = [];
    for (const t of [old.token, "A".repeat(43), "short", old.token.slice(0, 42) + (old.token.endsWith("A") ? "B" : "A"), "x".repeat(128)]) {
      const r = await accept(s, t, "a-perfectly-good-pw-1");
      expect(r.status).toBe(404);
      bodies.push(r.body);
    }
    // a bad password on a live link is 400, and writes nothing either
    const weak = await accept(s, current.token, "short");
    expect(weak.status).toBe(400);
    expect(weak.body.code).toBe("bad_request");
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(snapshot(s)).toEqual(before);
    // the live link still works after all that
    expect((await accept(s, current.token, "friend-two-chosen-pw")).status).toBe(200);
  });

  test("an expired link is the same 404 (invite_ttl = 2s)", async () => {
    const short = await startServer({ extraToml: `[accounts]\ninvite_ttl = "2s"` });
    try {
      const id = await createHuman(short, "friend-late");
      const inv = await invite(short, id);
      expect(Date.parse(inv.expires_at) - Date.now()).toBeLessThanOrEqual(2_000);
      while (Date.now() <= Date.parse(inv.expires_at)) await Bun.sleep(100);
      const before = snapshot(short);
      const r = await accept(short, inv.token, "friend-late-chosen-pw");
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error: "invite link is unknown, used or expired", code: "not_found" });
      expect(snapshot(short)).toEqual(before);
    } finally {
      await short.stop();
      removeDir(short.dir);
    }
  }, 60_000);

  test("accept with an audience: the token is bound to it (SPEC §18)", async () => {
    const id = await createHuman(s, "friend-aud");
    const inv = await invite(s, id);
    const r = await s.call("POST", `/v1/invites/${inv.token}/accept`, { json: { password: "friend-aud-chosen-pw", audience: "photos" } });
    expect(r.status).toBe(200);
    expect((await s.call("POST", "/v1/token/validate", { json: { token: r.body.token, audience: "photos" } })).body.valid).toBe(true);
    expect((await s.call("POST", "/v1/token/validate", { json: { token: r.body.token, audience: "wiki" } })).body.valid).toBe(false);
  });

  test("a reset link for an account with a password ends its old sessions", async () => {
    const id = await createHuman(s, "friend-reset", "old-password-12345");
    const oldTok = await s.login("friend-reset", "old-password-12345");
    const inv = await invite(s, id);
    expect((await audit(s, id, "invite_created"))[0]!.details.reset).toBe(true);
    const r = await accept(s, inv.token, "new-password-12345");
    expect(r.status).toBe(200);
    expect((await s.call("GET", "/v1/auth/me", { token: oldTok })).status).toBe(401);
    expect((await s.call("POST", "/v1/auth/login", { json: { username: "friend-reset", password: "old-password-12345" } })).status).toBe(401);
    expect((await audit(s, id, "invite_accepted"))[0]!.details).toMatchObject({ reset: true, tokens_revoked: 1 });
  });

  test("who may invite: not a plain user; not a system account; not a deactivated account", async () => {
    const id = await createHuman(s, "plain-user", "plain-user-password-1");
    const userTok = await s.login("plain-user", "plain-user-password-1");
    const forbidden = await s.call("POST", `/v1/accounts/${id}/invite`, { token: userTok });
    expect(forbidden.status).toBe(403);
    const sys = await createSystem(s, "svc-invite");
    expect((await s.call("POST", `/v1/accounts/${sys}/invite`, { token: await s.adminToken() })).status).toBe(400);
    await s.call("PATCH", `/v1/accounts/${id}`, { token: await s.adminToken(), json: { status: "inactive" } });
    expect((await s.call("POST", `/v1/accounts/${id}/invite`, { token: await s.adminToken() })).status).toBe(409);
    expect((await s.call("POST", `/v1/accounts/00000000-0000-4000-8000-000000000000/invite`, { token: await s.adminToken() })).status).toBe(404);
  });

  test("a link made before the account was deactivated is dead", async () => {
    const id = await createHuman(s, "friend-gone");
    const inv = await invite(s, id);
    await s.call("PATCH", `/v1/accounts/${id}`, { token: await s.adminToken(), json: { status: "inactive" } });
    expect((await accept(s, inv.token, "friend-gone-chosen-pw")).status).toBe(404);
  });

  test("mcias db account invite prints a link that works (break-glass path), audited as mcias-db", async () => {
    const id = await createHuman(s, "friend-db");
    const r = await s.mcias(["db", "account", "invite", "--username", "friend-db"]);
    expect(r.code).toBe(0);
    const url = r.stdout.trim();
    const token = tokenOf(url);
    expect((await accept(s, token, "friend-db-chosen-pw")).status).toBe(200);
    expect((await audit(s, id, "invite_created"))[0]!.actor).toBe("mcias-db");
  });
});

describe("mcias ctl", () => {
  const ctl = async (args: string[], o: { stdin?: string; token?: string } = {}) =>
    runMcias(["ctl", ...args, "--server", s.url, "--cacert", join(s.dir, "server.crt"), "--token", o.token ?? await s.adminToken()], {
      stdin: o.stdin, env: { XDG_CONFIG_HOME: s.dir, MCIAS_TOKEN: "", MCIAS_SERVER: "", MCIAS_CACERT: "" },
    });

  test("account create with email and display name, account invite prints a working link, totp-confirm and recovery-codes print codes", async () => {
    const c = await ctl(["account", "create", "--username", "Cli.Friend", "--type", "human", "--email", "cli@example.org", "--display-name", "Cli Friend", "--json"], { stdin: "cli-friend-password-1\ncli-friend-password-1\n" });
    expect(c.code).toBe(0);
    const acct = JSON.parse(c.stdout);
    expect([acct.username, acct.email, acct.display_name]).toEqual(["cli.friend", "cli@example.org", "Cli Friend"]);
    const inv = await ctl(["account", "invite", "--id", acct.id]);
    expect(inv.code).toBe(0);
    const token = tokenOf(inv.stdout.trim());
    expect(inv.stderr).toContain("valid until");
    const acc = await accept(s, token, "cli-friend-new-pw-1");
    expect(acc.status).toBe(200);
    const tok = acc.body.token as string;

    const en = await s.call("POST", "/v1/auth/totp/enroll", { token: tok, json: { current_password: "cli-friend-new-pw-1" } });
    const conf = await ctl(["auth", "totp-confirm", "--code", totpCodeAt(en.body.secret, Date.now()), "--json"], { token: tok });
    expect(conf.code).toBe(0);
    const codes = JSON.parse(conf.stdout).recovery_codes as string[];
    secrets.push(...codes);
    expect(codes).toHaveLength(10);
    const regen = await ctl(["auth", "recovery-codes"], { token: tok, stdin: "cli-friend-new-pw-1\n" });
    expect(regen.code).toBe(0);
    const fresh = regen.stdout.split("\n").map((l) => l.trim()).filter((l) => /^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/.test(l));
    secrets.push(...fresh);
    expect(fresh).toHaveLength(10);
    expect(fresh.some((x) => codes.includes(x))).toBe(false);
    const upd = await ctl(["account", "update", "--id", acct.id, "--email", "", "--json"]);
    expect(upd.code).toBe(0);
    expect(JSON.parse(upd.stdout).email).toBeNull();
  });
});

describe("email and display name", () => {
  test("unique case-insensitively; PATCH sets and clears; system accounts have none", async () => {
    const admin = await s.adminToken();
    const a = await s.call("POST", "/v1/accounts", { token: admin, json: { username: "mail-a", account_type: "human", email: "same@example.org" } });
    expect(a.status).toBe(201);
    const dup = await s.call("POST", "/v1/accounts", { token: admin, json: { username: "mail-b", account_type: "human", email: "SAME@example.org" } });
    expect(dup.status).toBe(409);
    expect((await s.call("GET", "/v1/accounts", { token: admin })).body.some((x: { username: string }) => x.username === "mail-b")).toBe(false);
    const b = await createHuman(s, "mail-c");
    expect((await s.call("PATCH", `/v1/accounts/${b}`, { token: admin, json: { email: "Same@Example.org" } })).status).toBe(409);
    const set = await s.call("PATCH", `/v1/accounts/${b}`, { token: admin, json: { email: "c@example.org", display_name: "Cee" } });
    expect(set.status).toBe(200);
    expect([set.body.email, set.body.display_name]).toEqual(["c@example.org", "Cee"]);
    const cleared = await s.call("PATCH", `/v1/accounts/${b}`, { token: admin, json: { email: null } });
    expect([cleared.body.email, cleared.body.display_name]).toEqual([null, "Cee"]);
    expect((await s.call("PATCH", `/v1/accounts/${b}`, { token: admin, json: { email: "not an email" } })).status).toBe(400);
    const sys = await s.call("POST", "/v1/accounts", { token: admin, json: { username: "svc-mail", account_type: "system", email: "svc@example.org" } });
    expect(sys.status).toBe(400);
    const upd = await audit(s, b, "account_updated");
    expect(upd.map((e) => e.details.fields)).toContainEqual(["email", "display_name"]);
  });
});

describe("recovery codes", () => {
  test("shown once at TOTP confirmation; each works once in place of a TOTP code; regeneration kills the old set", async () => {
    const id = await createHuman(s, "rec-user", "rec-user-password-1");
    const tok = await s.login("rec-user", "rec-user-password-1");
    const en = await s.call("POST", "/v1/auth/totp/enroll", { token: tok, json: { current_password: "rec-user-password-1" } });
    expect(en.status).toBe(200);
    const conf = await s.call("POST", "/v1/auth/totp/confirm", { token: tok, json: { code: totpCodeAt(en.body.secret, Date.now()) } });
    expect(conf.status).toBe(200);
    expect(Object.keys(conf.body)).toEqual(["recovery_codes"]);
    const codes = conf.body.recovery_codes as string[];
    secrets.push(...codes);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);

    const login = (code: string) => s.call("POST", "/v1/auth/login", { json: { username: "rec-user", password: "rec-user-password-1", totp_code: code } });
    expect((await login(codes[0]!)).status).toBe(200);
    expect((await login(codes[0]!)).status).toBe(401); // used once
    expect((await login(codes[1]!.toUpperCase())).status).toBe(200); // typed in capitals, without care
    expect((await login("0000-0000-0000")).status).toBe(401);
    const used = await audit(s, id, "recovery_code_used");
    expect(used).toHaveLength(2);
    expect(used[0]!.details.remaining).toBe(8);

    // regeneration needs the current password
    const wrong = await s.call("POST", "/v1/auth/recovery-codes", { token: tok, json: { current_password: "not-my-password-1" } });
    expect(wrong.status).toBe(403);
    expect((await s.call("POST", "/v1/auth/recovery-codes", { token: tok, json: {} })).status).toBe(400);
    const regen = await s.call("POST", "/v1/auth/recovery-codes", { token: tok, json: { current_password: "rec-user-password-1" } });
    expect(regen.status).toBe(200);
    const fresh = regen.body.recovery_codes as string[];
    secrets.push(...fresh);
    expect(fresh).toHaveLength(10);
    expect((await login(codes[2]!)).status).toBe(401); // the old set is dead
    expect((await login(fresh[0]!)).status).toBe(200);
    expect(await audit(s, id, "recovery_codes_regenerated")).toHaveLength(1);

    // an admin removing TOTP also removes the codes; regeneration then is a conflict
    expect((await s.call("DELETE", `/v1/accounts/${id}/totp`, { token: await s.adminToken() })).status).toBe(204);
    const t2 = await s.login("rec-user", "rec-user-password-1");
    expect((await s.call("POST", "/v1/auth/recovery-codes", { token: t2, json: { current_password: "rec-user-password-1" } })).status).toBe(409);
  });
});

describe("no secret leaks", () => {
  test("no audit row, log line or audit response holds an invite token or recovery code", async () => {
    expect(secrets.length).toBeGreaterThan(20);
    const db = new Database(join(s.dir, "mcias.db"), { readonly: true });
    const dump = JSON.stringify(db.query("SELECT * FROM audit_log").all()) + JSON.stringify(db.query("SELECT * FROM invites").all()) +
      JSON.stringify(db.query("SELECT * FROM recovery_codes").all());
    db.close();
    const all = (await s.call("GET", "/v1/audit?limit=500", { token: await s.adminToken() })).body;
    const logs = s.logs().join("\n");
    expect(logs).toContain("/v1/invites/[redacted]/accept");
    for (const secret of secrets) {
      const bare = secret.replace(/-/g, "");
      for (const [where, text] of [["database", dump], ["audit API", JSON.stringify(all)], ["log", logs]] as const) {
        if (text.includes(secret) || text.includes(bare)) throw new Error(`a secret leaked into the ${where}`);
      }
    }
  });
});
