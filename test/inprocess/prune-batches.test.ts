/**
 * `mcias db prune tokens` in bounded batches (issue 23, Scale): across many batches it
 * deletes exactly the expired token and OpenID Connect rows (never a live one, never a
 * row expiring at the cutoff's instant or later), writes ONE `tokens_pruned` audit row with
 * the totals, and gives other writers the database between batches.
 */
import { describe, expect, test } from "bun:test";
import { useInProcess, type InProcess } from "../helpers/inProcess";
import { OPERATOR_CTX } from "../../src/services";

let h: InProcess;
useInProcess((x) => { h = x; });

const db = () => h.app.store.db;
const iso = (ms: number) => new Date(ms).toISOString();
// Every case below pins the batch size: no timing adapts it (budget ∞), no pause (0).
const FIXED = { batchBudgetMs: Number.POSITIVE_INFINITY, pauseMs: 0 };

function seed(prefix: string, expired: number, live: number, oidcExpired: number, oidcLive: number): { liveJtis: string[]; liveOidc: string[] } {
  const acc = (db().query("SELECT id FROM accounts WHERE username = 'admin'").get() as { id: string }).id;
  const now = h.now();
  const ins = db().prepare("INSERT INTO tokens (jti, account_id, kind, issued_at, expires_at) VALUES (?, ?, 'session', ?, ?)");
  const pay = db().prepare("INSERT INTO oidc_payloads (model, id_hash, payload, account_id, expires_at) VALUES (?, ?, '{}', ?, ?)");
  const liveJtis: string[] = [], liveOidc: string[] = [];
  db().transaction(() => {
    for (let i = 0; i < expired; i++) ins.run(`${prefix}-x-${i}`, acc, iso(now - 7_200_000), iso(now - 1 - (i % 997) * 1000));
    for (let i = 0; i < live; i++) {
      const jti = `${prefix}-l-${i}`;
      // One expires exactly at the cutoff instant: not yet expired (expires_at < cutoff is).
      ins.run(jti, acc, iso(now - 7_200_000), iso(i === 0 ? now : now + 1 + i * 1000));
      liveJtis.push(jti);
    }
    for (let i = 0; i < oidcExpired; i++) pay.run("AccessToken", `${prefix}-ox-${i}`, acc, now - 1 - i);
    for (let i = 0; i < oidcLive; i++) {
      const id = `${prefix}-ol-${i}`;
      pay.run(i % 2 ? "Session" : "Grant", id, acc, i % 3 === 0 ? null : now + i); // NULL = never expires
      liveOidc.push(id);
    }
  })();
  return { liveJtis, liveOidc };
}

const prunedRows = () => db().query("SELECT details FROM audit_log WHERE type = 'tokens_pruned' ORDER BY id").all()
  .map((r) => JSON.parse((r as { details: string }).details) as Record<string, unknown>);

describe("batched prune", () => {
  test("deletes exactly the expired rows over many batches, with one audit row holding the totals", async () => {
    const { liveJtis, liveOidc } = seed("a", 1234, 321, 250, 40);
    const before = prunedRows().length;
    const r = await h.app.services.maintenance.pruneTokens(OPERATOR_CTX, { batchSize: 100, ...FIXED });
    // 12 full token batches + one of 34; 2 full OIDC batches + one of 50.
    expect(r).toEqual({ deleted: 1234, oidc_rows: 250, batches: 16, complete: true });
    const leftTokens = db().query("SELECT jti FROM tokens WHERE jti LIKE 'a-%' ORDER BY jti").all().map((x) => (x as { jti: string }).jti);
    expect(leftTokens).toEqual([...liveJtis].sort());
    const leftOidc = db().query("SELECT id_hash FROM oidc_payloads WHERE id_hash LIKE 'a-%' ORDER BY id_hash").all().map((x) => (x as { id_hash: string }).id_hash);
    expect(leftOidc).toEqual([...liveOidc].sort());

    const rows = prunedRows();
    expect(rows.length).toBe(before + 1);
    expect(rows.at(-1)).toEqual({ deleted: 1234, expired_before: iso(h.now()), oidc_rows: 250, batches: 16 });
    const admin = await h.adminToken();
    const api = await h.call("GET", "/v1/audit?type=tokens_pruned", { token: admin });
    expect(api.body.events[0]).toMatchObject({ type: "tokens_pruned", actor: "mcias-db", details: { deleted: 1234 } });
    expect((await h.call("GET", "/v1/audit/verify", { token: admin })).body.ok).toBe(true);

    // Nothing left to delete: no row written.
    const again = await h.app.services.maintenance.pruneTokens(OPERATOR_CTX, { batchSize: 100, ...FIXED });
    expect(again).toEqual({ deleted: 0, oidc_rows: 0, batches: 2, complete: true });
    expect(prunedRows().length).toBe(before + 1);
  });

  test("a count that fills its last batch exactly, and tokens only: still one row, right totals", async () => {
    seed("b", 300, 5, 0, 0);
    const before = prunedRows().length;
    const r = await h.app.services.maintenance.pruneTokens(OPERATOR_CTX, { batchSize: 100, ...FIXED });
    // 3 full batches, one empty that ends the tokens, one empty OIDC batch that carries the row.
    expect(r).toEqual({ deleted: 300, oidc_rows: 0, batches: 5, complete: true });
    expect(db().query("SELECT count(*) AS n FROM tokens WHERE jti LIKE 'b-x-%'").get()).toEqual({ n: 0 });
    expect(db().query("SELECT count(*) AS n FROM tokens WHERE jti LIKE 'b-l-%'").get()).toEqual({ n: 5 });
    expect(prunedRows().slice(before)).toEqual([{ deleted: 300, expired_before: iso(h.now()), oidc_rows: 0, batches: 5 }]);
  });

  test("other writers get the database between batches (the prune yields)", async () => {
    seed("c", 2000, 0, 0, 0);
    const acc = (db().query("SELECT id FROM accounts WHERE username = 'admin'").get() as { id: string }).id;
    let finished = false;
    const run = h.app.services.maintenance.pruneTokens(OPERATOR_CTX, { batchSize: 100, batchBudgetMs: Number.POSITIVE_INFINITY, pauseMs: 1 })
      .finally(() => { finished = true; });
    let interleaved = 0;
    while (!finished) {
      // A write in its own transaction, as a request of the server would do.
      h.app.store.tx(() => db().run("INSERT INTO tokens (jti, account_id, kind, issued_at, expires_at) VALUES (?, ?, 'session', ?, ?)",
        [`c-w-${interleaved}`, acc, iso(h.now()), iso(h.now() + 3_600_000)]));
      interleaved++;
      await Bun.sleep(0);
    }
    const r = await run;
    expect(r.deleted).toBe(2000);
    expect(r.batches).toBeGreaterThanOrEqual(21);
    // One long DELETE would have let no write in before it finished.
    expect(interleaved).toBeGreaterThanOrEqual(10);
    expect(db().query("SELECT count(*) AS n FROM tokens WHERE jti LIKE 'c-w-%'").get()).toEqual({ n: interleaved });
  });

  test("stopped early (Ctrl-C): what was deleted is audited as incomplete; a second run finishes", async () => {
    seed("e", 3000, 3, 0, 0);
    const before = prunedRows().length;
    const stop = new AbortController();
    const run = h.app.services.maintenance.pruneTokens(OPERATOR_CTX, { batchSize: 100, batchBudgetMs: Number.POSITIVE_INFINITY, pauseMs: 2, signal: stop.signal });
    const left = () => (db().query("SELECT count(*) AS n FROM tokens WHERE jti LIKE 'e-x-%'").get() as { n: number }).n;
    while (left() === 3000) await Bun.sleep(1); // the first batch has committed
    stop.abort();
    const r = await run;
    expect(r.complete).toBe(false);
    expect(r.deleted).toBeGreaterThan(0);
    expect(r.deleted).toBeLessThan(3000);
    expect(r.deleted % 100).toBe(0);
    expect(left()).toBe(3000 - r.deleted);
    expect(prunedRows().slice(before)).toEqual([{ deleted: r.deleted, expired_before: iso(h.now()), oidc_rows: 0, batches: r.batches, incomplete: true }]);

    const rest = await h.app.services.maintenance.pruneTokens(OPERATOR_CTX, { batchSize: 100, ...FIXED });
    expect(rest).toMatchObject({ deleted: 3000 - r.deleted, complete: true });
    expect(left()).toBe(0);
    expect(db().query("SELECT count(*) AS n FROM tokens WHERE jti LIKE 'e-l-%'").get()).toEqual({ n: 3 });
    expect(prunedRows().length).toBe(before + 2);
  });

  test("the connection is back to synchronous=FULL with automatic checkpoints afterwards", async () => {
    seed("f", 50, 0, 0, 0);
    const pragmas = () => [db().query("PRAGMA synchronous").get(), db().query("PRAGMA wal_autocheckpoint").get()];
    const before = pragmas();
    expect(before).toEqual([{ synchronous: 2 }, { wal_autocheckpoint: 1000 }]);
    await h.app.services.maintenance.pruneTokens(OPERATOR_CTX, { batchSize: 10, ...FIXED });
    expect(pragmas()).toEqual(before);
  });

  test("only the operator may prune; a bad batch size is refused with nothing deleted", async () => {
    seed("d", 10, 0, 0, 0);
    const count = () => (db().query("SELECT count(*) AS n FROM tokens WHERE jti LIKE 'd-%'").get() as { n: number }).n;
    await expect(h.app.services.maintenance.pruneTokens({ ...OPERATOR_CTX, operator: false })).rejects.toMatchObject({ code: "forbidden" });
    await expect(h.app.services.maintenance.pruneTokens(OPERATOR_CTX, { batchSize: 0 })).rejects.toMatchObject({ code: "bad_request" });
    expect(count()).toBe(10);
  });
});
