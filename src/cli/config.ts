/** Config resolution shared by `serve` and `db`: --config, then $MCIAS_CONFIG. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { devHome } from "../config/devDefault";
import { ConfigError, loadConfigFile } from "../config/load";
import type { Config } from "../config/schema";
import { ExitError } from "./run";

export function configPathFrom(flag: string | undefined): string | undefined {
  return flag ?? (Bun.env.MCIAS_CONFIG || undefined);
}

/** For tools that need an existing instance: the given config, or the dev instance's. */
export function loadExistingConfig(flag: string | undefined): Config {
  let path = configPathFrom(flag);
  if (!path) {
    const dev = join(devHome(), "mcias.toml");
    if (!existsSync(dev)) throw new ExitError(2, "mcias: no config: pass --config FILE or set MCIAS_CONFIG");
    path = dev;
  }
  try {
    return loadConfigFile(path, { checkFiles: false });
  } catch (e) {
    if (e instanceof ConfigError) throw new ExitError(1, `mcias: config error: ${e.message}`);
    throw e;
  }
}
