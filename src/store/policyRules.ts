import type { Database } from "bun:sqlite";

export interface PolicyRuleRow {
  id: number;
  description: string;
  effect: "allow" | "deny";
  priority: number;
  enabled: number;
  not_before: string | null;
  expires_at: string | null;
  match: string;
  created_at: string;
  updated_at: string;
}

const COLS = "id, description, effect, priority, enabled, not_before, expires_at, match, created_at, updated_at";

export function createPolicyRuleRepo(db: Database) {
  return {
    list: () => db.query<PolicyRuleRow, []>(`SELECT ${COLS} FROM policy_rules ORDER BY priority, id`).all(),
    get: (id: number) => db.query<PolicyRuleRow, [number]>(`SELECT ${COLS} FROM policy_rules WHERE id = ?`).get(id),
    insert(r: Omit<PolicyRuleRow, "id" | "created_at" | "updated_at">, now: string): number {
      const res = db.run(
        "INSERT INTO policy_rules (description, effect, priority, enabled, not_before, expires_at, match, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [r.description, r.effect, r.priority, r.enabled, r.not_before, r.expires_at, r.match, now, now],
      );
      return Number(res.lastInsertRowid);
    },
    update(r: Omit<PolicyRuleRow, "created_at" | "updated_at">, now: string): void {
      db.run(
        "UPDATE policy_rules SET description = ?, effect = ?, priority = ?, enabled = ?, not_before = ?, expires_at = ?, match = ?, updated_at = ? WHERE id = ?",
        [r.description, r.effect, r.priority, r.enabled, r.not_before, r.expires_at, r.match, now, r.id],
      );
    },
    delete: (id: number) => db.run("DELETE FROM policy_rules WHERE id = ?", [id]).changes === 1,
  };
}

export type PolicyRuleRepo = ReturnType<typeof createPolicyRuleRepo>;
