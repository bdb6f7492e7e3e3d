/**
 * The zero-setup development instance (SPEC §8): everything lives in one data
 * directory (./mcias-data or $MCIAS_HOME): a keyfile, a self-signed certificate for
 * localhost/127.0.0.1, the database, and the config written out as mcias.toml so
 * `mcias db --config mcias-data/mcias.toml` works against the same files.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { randomBytes } from "../crypto/random";
import { loadConfigFile } from "./load";
import type { Config } from "./schema";

export const DEV_LISTEN = "127.0.0.1:8443";

export function devHome(): string {
  return resolve(Bun.env.MCIAS_HOME || "./mcias-data");
}

export async function prepareDevInstance(home = devHome()): Promise<Config> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  chmodSync(home, 0o700);
  const keyfile = join(home, "master.key");
  if (!existsSync(keyfile)) writeFileSync(keyfile, randomBytes(32).toString("base64") + "\n", { mode: 0o600 });
  const cert = join(home, "server.crt");
  const key = join(home, "server.key");
  if (!existsSync(cert) || !existsSync(key)) {
    // Loaded only for a new dev instance: x509 generation is not needed by a configured server.
    const { makeSelfSignedCert } = await import("../crypto/selfSignedCert");
    const c = await makeSelfSignedCert({ dnsNames: ["localhost"], ips: ["127.0.0.1", "::1"] });
    writeFileSync(key, c.keyPem, { mode: 0o600 });
    writeFileSync(cert, c.certPem, { mode: 0o644 });
  }
  const configPath = join(home, "mcias.toml");
  if (!existsSync(configPath)) {
    writeFileSync(configPath, `# MCIAS development instance, written by \`mcias serve\` with no --config.
# Not for production: the master key sits beside the database.

[server]
listen_addr = "${DEV_LISTEN}"
tls_cert = "server.crt"
tls_key = "server.key"

[database]
path = "mcias.db"

[tokens]
issuer = "https://localhost:8443"

[master_key]
keyfile = "master.key"
`, { mode: 0o600 });
  }
  return { ...loadConfigFile(configPath), dev: true, source: `development instance in ${home}` };
}
