/**
 * A service that gets its Postgres credentials from MCIAS instead of a config file.
 *
 *   MCIAS_URL=https://auth.example.com:8443 \
 *   MCIAS_TOKEN=<the system account's token> \
 *   MCIAS_CACERT=/etc/myapp/mcias-ca.pem \
 *   bun examples/service-app/main.ts
 *
 * 1. GET /v1/auth/me with its token: learns its own account id.
 * 2. GET /v1/accounts/{id}/pgcreds: host, port, database, username, password.
 * 3. Connects with Bun.SQL and runs one query; prints the result as one JSON line.
 *
 * The password lives only in memory: never printed, logged or written to disk.
 * Plain fetch keeps this example free of dependencies; `@mcias/client`
 * (src/client/) wraps the same two calls as `me()` and `getPgCreds(id)`.
 */
import { SQL } from "bun";

interface PgCreds { host: string; port: number; database: string; username: string; password?: string }

function env(name: string): string {
  const v = Bun.env[name];
  if (!v) {
    console.error(`service-app: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

const baseUrl = env("MCIAS_URL").replace(/\/+$/, "");
const token = env("MCIAS_TOKEN");
const caPath = Bun.env.MCIAS_CACERT;
const ca = caPath ? await Bun.file(caPath).text() : undefined;

/** One authenticated GET to MCIAS; exits with the server's error code on failure. */
async function mcias<T>(path: string): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: "application/json" },
    ...(ca ? { tls: { ca } } : {}),
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { code?: string; error?: string } | null;
    console.error(`service-app: MCIAS ${path} answered ${res.status} ${body?.code ?? ""}: ${body?.error ?? ""}`);
    process.exit(1);
  }
  return (await res.json()) as T;
}

const me = await mcias<{ id: string; username: string; account_type: string }>("/v1/auth/me");
const creds = await mcias<PgCreds>(`/v1/accounts/${encodeURIComponent(me.id)}/pgcreds`);
if (creds.password === undefined) {
  console.error("service-app: MCIAS gave connection metadata only (no password): this token may not read the credential");
  process.exit(1);
}

// Passing fields (not a URL) means no escaping of the password is needed.
const db = new SQL({
  hostname: creds.host, port: creds.port, database: creds.database,
  username: creds.username, password: creds.password, max: 1,
});
try {
  const [row] = await db`SELECT current_user AS "user", current_database() AS "database", 40 + 2 AS "answer"`;
  console.log(JSON.stringify({ service: me.username, result: row }));
} catch (e) {
  console.error(`service-app: query failed: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
