/**
 * One audit writer (issue 14 item 4): a policy deny of an attempt is recorded through
 * `audit.record` like every other row (chained, counted, with its target named); a
 * listing that hides rows is not an attempt and writes nothing. The source rule: no
 * file but src/services/audit.ts inserts audit rows.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { useInProcess, type InProcess } from "../helpers/inProcess";

let h: InProcess;
useInProcess((x) => { h = x; });

const denies = async () => (await h.call("GET", "/v1/audit?type=policy_deny", { token: await h.adminToken() })).body.events as any[];

describe("policy denies go through the one audit writer", () => {
  test("an attempt is audited with its target; a listing that hides the row is not", async () => {
    const admin = await h.adminToken();
    const svc = await h.call("POST", "/v1/accounts", { token: admin, json: { username: "svc-db", account_type: "system" } });
    expect(svc.status).toBe(201);
    const put = await h.call("PUT", `/v1/accounts/${svc.body.id}/pgcreds`, { token: admin, json: { host: "db", port: 5432, database: "d", username: "u", password: "p" } });
    expect(put.status).toBe(204);
    const me = (await h.call("GET", "/v1/auth/me", { token: admin })).body;
    const rule = await h.call("POST", "/v1/policy/rules", { token: admin, json: {
      description: "no credential metadata for admin", effect: "deny", priority: 900,
      match: { subject_ids: [me.id], actions: ["pgcreds:read", "pgcreds:read_metadata"] },
    } });
    expect(rule.status).toBe(201);
    const before = (await denies()).length;

    const list = await h.call("GET", "/v1/pgcreds", { token: admin });
    expect(list.status).toBe(200);
    expect(list.body).toEqual([]);
    expect((await denies()).length).toBe(before);

    const get = await h.call("GET", `/v1/accounts/${svc.body.id}/pgcreds`, { token: admin });
    expect(get.status).toBe(403);
    const rows = await denies();
    expect(rows.length).toBe(before + 2); // pgcreds:read, then pgcreds:read_metadata
    expect(rows[0]).toMatchObject({ type: "policy_deny", actor: "admin", target_id: svc.body.id, target: "svc-db", ip: "127.0.0.1" });
    expect(rows[0].details).toMatchObject({ action: "pgcreds:read_metadata", rule_id: rule.body.id });
    // Chained like every other row.
    expect((await h.call("GET", "/v1/audit/verify", { token: admin })).body.ok).toBe(true);
  });

  test("no file but src/services/audit.ts writes audit rows", () => {
    const src = join(import.meta.dir, "../../src");
    const walk = (d: string): string[] => readdirSync(d).flatMap((n) => statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]);
    const writers = walk(src).filter((f) => f.endsWith(".ts") && !f.includes("/store/") && /\.audit\.insert\(/.test(readFileSync(f, "utf8")));
    expect(writers.map((f) => relative(src, f))).toEqual(["services/audit.ts"]);
  });
});
