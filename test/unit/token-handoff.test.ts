/**
 * The one-time token download's holder (issue 13 defect 9) with a clock the test moves:
 * 5 minutes, first use only, only for the principal who issued the token.
 */
import { expect, test } from "bun:test";
import { createStore, migrate, openDatabase } from "../../src/store";
import { createAuditService } from "../../src/services/audit";
import { createTokenHandoff, HANDOFF_TTL_MS } from "../../src/services/tokenHandoff";
import type { Ctx, Principal, ServiceDeps } from "../../src/services";

function setup() {
  const db = openDatabase(":memory:");
  migrate(db);
  const store = createStore(db);
  let t = Date.parse("2026-11-30T12:00:00Z");
  const deps = { store, clock: { now: () => t } } as unknown as ServiceDeps;
  const handoff = createTokenHandoff(deps, createAuditService(deps));
  const who = (id: string): Ctx => ({ ip: "127.0.0.1", principal: { id, username: id } as unknown as Principal });
  return { store, handoff, who, advance: (ms: number) => { t += ms; } };
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
