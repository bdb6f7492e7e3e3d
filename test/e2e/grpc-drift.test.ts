/**
 * REST and gRPC cannot drift apart (SPEC §13): every operation in the served OpenAPI
 * document (/docs/json of the compiled binary) has an RPC whose `rest` names it (or a
 * standard twin, or a documented REST_ONLY reason), and every RPC in the embedded protos
 * has a handler that names a REST operation that exists (or is listed in GRPC_ONLY).
 * Adding a REST route without its RPC, or an RPC without a handler, fails here.
 */
import { expect, test } from "bun:test";
import { GRPC_ONLY, REST_ONLY, RPCS, STANDARD_TWINS } from "../../src/grpc/handlers";
import { loadProtos } from "../../src/grpc/protos";
import { useServer, type TestServer } from "../helpers/server";

let s: TestServer;
useServer((x) => { s = x; });

const METHODS = ["get", "post", "put", "patch", "delete"];

async function restOperations(): Promise<string[]> {
  const doc = (await s.call("GET", "/docs/json")).body as { paths: Record<string, Record<string, unknown>> };
  const ops: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const m of Object.keys(item)) if (METHODS.includes(m)) ops.push(`${m.toUpperCase()} ${path}`);
  }
  return ops.sort();
}

test("every REST operation in /docs/json has an RPC (or a documented REST-only reason)", async () => {
  const ops = await restOperations();
  expect(ops.length).toBeGreaterThan(40);
  const mirrored = new Set([...Object.values(RPCS).flatMap((svc) => Object.values(svc).map((r) => r.rest)), ...Object.keys(STANDARD_TWINS)]);
  const missing = ops.filter((op) => !mirrored.has(op) && !(op in REST_ONLY));
  expect(missing).toEqual([]);
});

test("every RPC names a REST operation that exists (or is gRPC-only), and none mirrors two", async () => {
  const ops = new Set(await restOperations());
  const rests = Object.entries(RPCS).flatMap(([svc, rpcs]) => Object.entries(rpcs).map(([name, r]) => ({ rpc: `${svc}/${name}`, rest: r.rest })));
  expect(rests.filter((r) => !ops.has(r.rest))).toEqual([]);
  const seen = new Map<string, string>();
  for (const r of rests) {
    expect({ rest: r.rest, twin: seen.get(r.rest) ?? null }).toEqual({ rest: r.rest, twin: null });
    seen.set(r.rest, r.rpc);
  }
  for (const [op, rpc] of Object.entries(STANDARD_TWINS)) expect({ op, present: ops.has(op), rpc }).toEqual({ op, present: true, rpc });
});

test("every method in the embedded protos has a handler, and every handler a method", () => {
  const protos = loadProtos();
  const defined: string[] = [];
  for (const name of protos.serviceNames.filter((n) => n.startsWith("mcias.v1."))) {
    for (const method of Object.keys(protos.service(name).service)) defined.push(`${name}/${method}`);
  }
  const handled = [...Object.entries(RPCS).flatMap(([svc, rpcs]) => Object.keys(rpcs).map((m) => `${svc}/${m}`)), ...Object.keys(GRPC_ONLY)];
  expect(defined.sort()).toEqual(handled.sort());
  // 47 today (46 REST twins + Watch); new operations only add.
  expect(defined.length).toBeGreaterThanOrEqual(47);
});
