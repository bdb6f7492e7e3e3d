import type { Database } from "bun:sqlite";
import { chainHash, GENESIS, type ChainFields, type ChainVerdict } from "./auditChain";

/** An audit row as stored: exactly the fields its chain hash covers (auditChain.ts). */
export type AuditRow = ChainFields;

export interface AuditFilter {
  /** Matches actor or target. */
  account?: string;
  type?: string;
  since?: string;
  until?: string;
  /** Only rows with id < before (newest-first paging). */
  before?: number;
  limit: number;
}

const COLS = "id, time, type, actor_id, actor, target_id, target, ip, details";

export function createAuditRepo(db: Database) {
  const ins = db.query("INSERT INTO audit_log (id, time, type, actor_id, actor, target_id, target, ip, details, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const head = db.query<{ id: number; hash: string | null }, []>("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
  const seq = db.query<{ seq: number }, []>("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'");

  /** Appends one row chained to the current head; runs inside the caller's write transaction. */
  function append(r: Omit<AuditRow, "id">): void {
    const last = head.get();
    // AUTOINCREMENT's high-water mark: ids are never reused, even after a deleted tail.
    const id = Math.max(last?.id ?? 0, seq.get()?.seq ?? 0) + 1;
    const row: ChainFields = { id, ...r };
    ins.run(id, r.time, r.type, r.actor_id, r.actor, r.target_id, r.target, r.ip, r.details, chainHash(last?.hash ?? GENESIS, row));
  }

  return {
    /**
     * Appends a chained row. Reading the head and inserting must not interleave with
     * another writer (a second process): inside a transaction the caller's IMMEDIATE
     * lock covers both; outside one, this takes its own.
     */
    insert(r: Omit<AuditRow, "id">): void {
      if (db.inTransaction) append(r);
      else db.transaction(() => append(r)).immediate();
    },
    /** Walks the chain in id order; names the first row whose hash does not match. */
    verifyChain(): ChainVerdict {
      let prev = GENESIS;
      let rows = 0;
      let lastId = 0;
      const it = db.query<ChainFields & { hash: string | null }, []>(`SELECT ${COLS}, hash FROM audit_log ORDER BY id`).iterate();
      for (const r of it) {
        rows++;
        const expect = chainHash(prev, r);
        if (r.hash !== expect) return { ok: false, rows, first_bad_id: r.id };
        prev = expect;
        lastId = r.id;
      }
      // A deleted tail leaves no broken link; AUTOINCREMENT's high-water mark shows it.
      const high = seq.get()?.seq ?? 0;
      if (high > lastId) return { ok: false, rows, first_bad_id: lastId + 1 };
      return { ok: true, rows };
    },
    /** Newest first. */
    query(f: AuditFilter): AuditRow[] {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (f.account) { where.push("(actor_id = ? OR target_id = ?)"); args.push(f.account, f.account); }
      if (f.type) { where.push("type = ?"); args.push(f.type); }
      if (f.since) { where.push("time >= ?"); args.push(f.since); }
      if (f.until) { where.push("time < ?"); args.push(f.until); }
      if (f.before !== undefined) { where.push("id < ?"); args.push(f.before); }
      args.push(f.limit);
      const sql = `SELECT ${COLS} FROM audit_log ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id DESC LIMIT ?`;
      return db.query<AuditRow, (string | number)[]>(sql).all(...args);
    },
    /** Oldest first: rows with id > afterId (the live audit stream). */
    after(afterId: number, limit: number): AuditRow[] {
      return db.query<AuditRow, [number, number]>(`SELECT ${COLS} FROM audit_log WHERE id > ? ORDER BY id ASC LIMIT ?`).all(afterId, limit);
    },
    maxId: () => db.query<{ n: number | null }, []>("SELECT MAX(id) AS n FROM audit_log").get()?.n ?? 0,
    count: () => db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM audit_log").get()!.n,
  };
}

export type AuditRepo = ReturnType<typeof createAuditRepo>;
