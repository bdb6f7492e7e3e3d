import type { Database } from "bun:sqlite";

export interface AuditRow {
  id: number;
  time: string;
  type: string;
  actor_id: string | null;
  actor: string | null;
  target_id: string | null;
  target: string | null;
  ip: string | null;
  details: string;
}

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
  const ins = db.query("INSERT INTO audit_log (time, type, actor_id, actor, target_id, target, ip, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  return {
    insert(r: Omit<AuditRow, "id">): void {
      ins.run(r.time, r.type, r.actor_id, r.actor, r.target_id, r.target, r.ip, r.details);
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
