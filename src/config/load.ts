import { readFileSync, accessSync, constants } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import { ConfigError, validateConfig } from "./validate";
import type { Config } from "./schema";

/** Reads and validates a TOML config file; every failure is one ConfigError line. */
export function loadConfigFile(file: string, opts: { checkFiles?: boolean } = {}): Config {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, "utf8");
  } catch (e) {
    throw new ConfigError(`${file}: cannot read config file (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    const where = e instanceof TomlError ? ` at line ${e.line}, column ${e.column}` : "";
    throw new ConfigError(`${file}: not valid TOML${where}`);
  }
  const cfg = validateConfig(doc, dirname(abs), abs);
  if (opts.checkFiles !== false) checkReadable(cfg);
  return cfg;
}

/** TLS files must be readable before we start; name the key that points at a bad file. */
export function checkReadable(cfg: Config): void {
  for (const [key, p] of [["server.tls_cert", cfg.server.tlsCert], ["server.tls_key", cfg.server.tlsKey]] as const) {
    try {
      accessSync(p, constants.R_OK);
    } catch {
      throw new ConfigError(`${key}: cannot read TLS file ${p}`);
    }
  }
}

export { ConfigError };
