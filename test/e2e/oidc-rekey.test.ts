/**
 * `mcias db rekey` moves the OpenID Connect keys and client secrets too: after a rekey
 * to a new keyfile the provider serves the same JWKS and still knows each client's
 * secret (a right secret reaches the grant check, a wrong one is invalid_client).
 */
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { removeDir, startServer, type TestServer } from "../helpers/server";

let s: TestServer | undefined;
afterAll(async () => {
  if (s) {
    await s.stop();
    removeDir(s.dir);
  }
}, 60_000);

async function tokenCall(srv: TestServer, id: string, secret: string): Promise<{ status: number; error: string }> {
  const r = await srv.fetch("/oidc/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${id}:${secret}`)}` },
    body: "grant_type=refresh_token&refresh_token=not-a-real-token",
  });
  return { status: r.status, error: ((await r.json()) as { error: string }).error };
}

test("rekey to a new keyfile keeps the OIDC signing keys and client secrets usable", async () => {
  s = await startServer();
  const made = await s.call("POST", "/v1/oidc/clients", { token: await s.adminToken(), json: { name: "App", redirect_uris: ["https://app.example.com/cb"], id_token_alg: "ES256" } });
  expect(made.status).toBe(201);
  const { id } = made.body.client as { id: string };
  const secret = made.body.client_secret as string;
  const kids = async (srv: TestServer) => ((await (await srv.fetch("/oidc/jwks")).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
  const before = await kids(s);
  expect(before.length).toBe(2); // EdDSA + ES256
  expect(await tokenCall(s, id, secret)).toEqual({ status: 400, error: "invalid_grant" });
  await s.stop();

  const next = join(s.dir, "next.key");
  const r = await s.mcias(["db", "rekey", "--new-keyfile", next]);
  expect(r.code).toBe(0);
  copyFileSync(next, join(s.dir, "master.key"));
  chmodSync(join(s.dir, "master.key"), 0o600);
  const dir = s.dir;
  s = await startServer({ dir });
  expect(await kids(s)).toEqual(before);
  expect(await tokenCall(s, id, secret)).toEqual({ status: 400, error: "invalid_grant" });
  expect((await tokenCall(s, id, "wrong")).error).toBe("invalid_client");
  const audit = await s.mcias(["db", "audit", "query", "--type", "master_key_rotated", "--json"]);
  expect(audit.stdout).toContain("\"oidc_keys\":3"); // EdDSA, ES256 and the cookie key
}, 120_000);
