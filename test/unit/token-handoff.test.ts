/**
 * The one-time token download's holder (issue 13 defect 9) with a clock the test moves:
 * 5 minutes, first use only, only for the principal who issued the token.
 */
import { expect, test } from "bun:test";
import { createStore, migrate, openDatabase } from "../../src/store";
import { AppError } from "../../src/errors";
import { sha256Hex } from "../../src/crypto/oneTimeSecrets";
import { createAuditService } from "../../src/services/audit";
import { createTokenHandoff, HANDOFF_TTL_MS } from "../../src/services/tokenHandoff";
import type { Ctx, Principal, ServiceDeps } from "../../src/services";

function setup() {
  const db = openDatabase(":memory:");
  migrate(db);
  const store = createStore(db);
  let t = Date.parse("2026-11-30T12:00:00Z");
  let key: Buffer | null = Buffer.alloc(32, 9);
  const vault = {
    isSealed: () => key === null,
    masterKey: () => { if (!key) throw new AppError("vault_sealed"); return key; },
  };
  const deps = { store, vault, clock: { now: () => t } } as unknown as ServiceDeps;
  const handoff = createTokenHandoff(deps, createAuditService(deps));
  const who = (id: string): Ctx => ({ ip: "127.0.0.1", principal: { id, username: id } as unknown as Principal });
  return { store, handoff, who, advance: (ms: number) => { t += ms; }, rekey: (k: Buffer | null) => { key = k; } };
}
const issued = { token: "header.payload.sig", jti: "jti-1", expires_at: "2027-01-01T00:00:00Z" };
const account = { id: "acc-1", username: "ci-bot" };

test("first download gives the token and audits it; the second is a 404", () => {
  const { store, handoff, who } = setup();
  const { nonce } = handoff.offer(who("alice"), issued, account);
  expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(handoff.take(who("alice"), nonce)).toEqual({ token: issued.token, filename: "ci-bot.token" });
  expect(() => handoff.take(who("alice"), nonce)).toThrow(/already used or has expired/);
  const rows = store.audit.query({ type: "token_downloaded", limit: 10 });
  expect(rows.length).toBe(1);
  expect(JSON.parse(rows[0]!.details)).toEqual({ jti: "jti-1" });
  expect(rows[0]!.details).not.toContain(issued.token);
});

test("an expired nonce is a 404, and so is another principal's", () => {
  const { handoff, who, advance } = setup();
  const a = handoff.offer(who("alice"), issued, account);
  expect(() => handoff.take(who("mallory"), a.nonce)).toThrow(/already used or has expired/);
  advance(HANDOFF_TTL_MS - 1);
  const b = handoff.offer(who("alice"), issued, account);
  advance(1);
  expect(() => handoff.take(who("alice"), a.nonce)).toThrow(/already used or has expired/);
  expect(handoff.take(who("alice"), b.nonce).token).toBe(issued.token);
});

test("at rest: keyed by the nonce's hash, the token sealed (never in clear), bound to its issuer", () => {
  const { store, handoff, who, rekey } = setup();
  const { nonce } = handoff.offer(who("alice"), issued, account);
  const rows = store.db.query<{ kind: string; key_hash: string; account_id: string; payload: Uint8Array }, []>(
    "SELECT kind, key_hash, account_id, payload FROM pending_entries").all();
  expect(rows.length).toBe(1);
  expect(rows[0]!.kind).toBe("token_handoff");
  expect(rows[0]!.key_hash).toBe(sha256Hex(nonce));
  expect(rows[0]!.account_id).toBe("alice");
  const raw = Buffer.from(rows[0]!.payload).toString("latin1");
  expect(raw).not.toContain(issued.token);
  expect(raw).not.toContain("payload");
  expect(raw).not.toContain(nonce);
  // Sealed vault: refused as sealed, and the row stays for after the unseal.
  rekey(null);
  expect(() => handoff.take(who("alice"), nonce)).toThrow(AppError);
  rekey(Buffer.alloc(32, 9));
  // A blob moved to another issuer's row does not open: the download is refused.
  store.db.run("UPDATE pending_entries SET account_id = 'mallory'");
  expect(() => handoff.take(who("mallory"), nonce)).toThrow(/already used or has expired/);
  expect(store.db.query("SELECT count(*) AS n FROM pending_entries").get()).toEqual({ n: 0 });
});

test("under another master key the held token is unusable (404), not an error", () => {
  const { handoff, who, rekey } = setup();
  const { nonce } = handoff.offer(who("alice"), issued, account);
  rekey(Buffer.alloc(32, 1));
  expect(() => handoff.take(who("alice"), nonce)).toThrow(/already used or has expired/);
});

test("bounded: the 1001st offer drops the entry closest to expiry", () => {
  const { store, handoff, who, advance } = setup();
  const first = handoff.offer(who("alice"), issued, account);
  advance(1);
  for (let i = 0; i < 1000; i++) handoff.offer(who("alice"), issued, account);
  expect(store.db.query("SELECT count(*) AS n FROM pending_entries").get()).toEqual({ n: 1000 });
  expect(() => handoff.take(who("alice"), first.nonce)).toThrow(/already used or has expired/);
});
