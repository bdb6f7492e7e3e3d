/**
 * SPEC §18: a new master passphrase has at least 16 characters (first start, first
 * unseal, rekey); a database initialized before the floor with a shorter one keeps
 * opening, with a warning. In-process, around the composition root.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../src/log";
import { MIN_MASTER_PASSPHRASE } from "../../src/services/limits";
import { WeakPassphraseError } from "../../src/services/vault";
import { startInProcess, type InProcess } from "../helpers/inProcess";

const dirs: string[] = [];
const open: InProcess[] = [];
afterEach(() => {
  for (const h of open.splice(0)) h.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Starts over one directory (one database) with a passphrase master key read from MP. */
function setup() {
  const dir = mkdtempSync(join(tmpdir(), "mcias-floor-"));
  dirs.push(dir);
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l) });
  const start = async (env: Record<string, string | undefined>) => {
    const h = await startInProcess({ dir, env, log, sections: { master_key: { passphrase_env: "MP" } } });
    open.push(h);
    return h.app;
  };
  return { start, lines };
}

describe("master passphrase floor", () => {
  test("the floor is 16 characters", () => expect(MIN_MASTER_PASSPHRASE).toBe(16));

  test("a first start with a 15-character passphrase is refused; 16 is accepted", async () => {
    const { start } = setup();
    await expect(start({ MP: "x".repeat(15) })).rejects.toBeInstanceOf(WeakPassphraseError);
    const app = await start({ MP: "y".repeat(16) });
    expect(app.services.vault.status()).toEqual({ sealed: false });
  });

  test("characters, not bytes: 16 emoji pass, 15 do not", async () => {
    const { start } = setup();
    await expect(start({ MP: "🔑".repeat(15) })).rejects.toBeInstanceOf(WeakPassphraseError);
    expect((await start({ MP: "🔑".repeat(16) })).services.vault.status()).toEqual({ sealed: false });
  });

  test("a database initialized with a shorter passphrase (before the floor) still opens, with a warning", async () => {
    const { start, lines } = setup();
    // Initialize the way an older release did: open with the short key directly.
    const sealedApp = await start({});
    const short = "twelve-chars";
    sealedApp.services.vault.openWith(await sealedApp.services.vault.keyFromPassphrase(short));
    open.pop()!.close();
    const app = await start({ MP: short });
    expect(app.services.vault.status()).toEqual({ sealed: false });
    expect(lines.some((l) => l.includes("shorter than 16 characters") && l.includes('"level":"warn"'))).toBe(true);
    expect(lines.join("\n")).not.toContain(short);
  });
});
