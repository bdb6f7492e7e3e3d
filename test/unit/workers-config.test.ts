/** `[server] workers` (issue 23): default 1, an integer from 1 to 64, errors name the key. */
import { expect, test } from "bun:test";
import { ConfigError, validateConfig } from "../../src/config/validate";

const doc = (workers?: unknown) => ({
  server: { listen_addr: "0.0.0.0:8443", tls_cert: "c.pem", tls_key: "k.pem", ...(workers === undefined ? {} : { workers }) },
  database: { path: "m.db" },
  tokens: { issuer: "https://auth.example.com" },
  master_key: { passphrase_env: "MCIAS_MASTER_PASSPHRASE" },
});

test("default 1; 2 and 64 accepted", () => {
  expect(validateConfig(doc(), "/etc/mcias", "t").server.workers).toBe(1);
  expect(validateConfig(doc(2), "/etc/mcias", "t").server.workers).toBe(2);
  expect(validateConfig(doc(64), "/etc/mcias", "t").server.workers).toBe(64);
});

test.each([0, 65, 1.5, "2", -1])("rejects workers = %p naming the key", (w) => {
  let err: unknown;
  try { validateConfig(doc(w), "/etc/mcias", "t"); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toContain("server.workers");
});
