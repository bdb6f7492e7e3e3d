/** dist/install.sh: shellcheck-clean POSIX sh, idempotent, run twice in a temp root. */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, mciasCommand } from "../helpers/server";

const SCRIPT = join(ROOT, "dist/install.sh");
const root = mkdtempSync(join(tmpdir(), "mcias-install-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(cmd: string[], env: Record<string, string> = {}) {
  if (!Bun.which(cmd[0]!)) throw new Error(`${cmd[0]} is not installed (CI must install it)`);
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", env: { ...Bun.env, ...env } });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}
const mode = (p: string) => (statSync(join(root, p)).mode & 0o7777).toString(8);
const install = () => run(["sh", SCRIPT], { DESTDIR: root, MCIAS_NO_USER: "1", MCIAS_BIN: binary() });

/** A real executable for the script to install (the compiled binary when built). */
function binary(): string {
  const b = mciasCommand();
  if (b.length === 1) return b[0]!;
  const stub = join(root, "..", `mcias-stub-${process.pid}`);
  writeFileSync(stub, "#!/bin/sh\necho mcias stub\n", { mode: 0o755 });
  return stub;
}

describe("install.sh", () => {
  test("shellcheck -s sh is clean", () => {
    const r = run(["shellcheck", "-s", "sh", SCRIPT]);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("installs the expected files with the expected modes", () => {
    const r = install();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("NOT started");
    expect(mode("usr/local/bin/mcias")).toBe("755");
    expect(mode("etc/systemd/system/mcias.service")).toBe("644");
    expect(readFileSync(join(root, "etc/systemd/system/mcias.service"), "utf8")).toBe(readFileSync(join(ROOT, "dist/mcias.service"), "utf8"));
    expect(mode("srv/mcias")).toBe("750");
    expect(mode("srv/mcias/mcias.toml")).toBe("640");
    expect(mode("srv/mcias/env")).toBe("600");
    for (const page of ["mcias.1", "mcias-ctl.1", "mcias-db.1"]) expect(mode(`usr/local/share/man/man1/${page}`)).toBe("644");
    expect(mode("usr/local/share/doc/mcias/RUNBOOK.md")).toBe("644");
    expect(readFileSync(join(root, "etc/sysctl.d/60-mcias.conf"), "utf8")).toContain("net.ipv4.tcp_migrate_req = 1");
    expect(existsSync(join(root, "srv/mcias/mcias.toml.new"))).toBe(false);
  });

  test("a second run keeps an edited config and env, writing *.new beside them", () => {
    appendFileSync(join(root, "srv/mcias/mcias.toml"), "\n# edited by the operator\n");
    writeFileSync(join(root, "srv/mcias/env"), "MCIAS_MASTER_PASSPHRASE=operator-secret\n", { mode: 0o600 });
    const r = install();
    expect(r.code).toBe(0);
    expect(readFileSync(join(root, "srv/mcias/mcias.toml"), "utf8")).toContain("# edited by the operator");
    expect(readFileSync(join(root, "srv/mcias/env"), "utf8")).toBe("MCIAS_MASTER_PASSPHRASE=operator-secret\n");
    expect(readFileSync(join(root, "srv/mcias/mcias.toml.new"), "utf8")).toBe(readFileSync(join(ROOT, "dist/mcias.conf.example"), "utf8"));
    expect(mode("srv/mcias/env.new")).toBe("600");
    expect(mode("usr/local/bin/mcias")).toBe("755");
  });

  test("a third run with nothing changed is a no-op for the configs", () => {
    rmSync(join(root, "srv/mcias/mcias.toml.new"));
    rmSync(join(root, "srv/mcias/env.new"));
    writeFileSync(join(root, "srv/mcias/mcias.toml"), readFileSync(join(ROOT, "dist/mcias.conf.example")));
    writeFileSync(join(root, "srv/mcias/env"), readFileSync(join(ROOT, "dist/mcias.env.example")));
    const r = install();
    expect(r.code).toBe(0);
    expect(existsSync(join(root, "srv/mcias/mcias.toml.new"))).toBe(false);
    expect(existsSync(join(root, "srv/mcias/env.new"))).toBe(false);
  });

  test("fails clearly without a binary", () => {
    const r = run(["sh", SCRIPT], { DESTDIR: root, MCIAS_NO_USER: "1", MCIAS_BIN: join(root, "nope") });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no executable");
  });
});
