import { resolve } from "node:path";
import { defineCommand } from "citty";
import type { RekeyTarget } from "../../services/maintenance";
import { ExitError, UsageError } from "../run";
import { configArg, secret, withDb } from "./context";

export const rekeyCommand = defineCommand({
  meta: {
    name: "rekey",
    description: "Move every secret to a new master key (keyfile or passphrase) in one transaction; the server must be stopped",
  },
  args: {
    ...configArg,
    "new-keyfile": { type: "string", description: "move to this keyfile (created 0600 with 32 random bytes if missing)" },
    "to-passphrase": { type: "boolean", description: "move to a new passphrase (prompted twice, or the next two stdin lines)" },
  },
  run: ({ args }) => {
    const keyfile = args["new-keyfile"];
    const toPass = args["to-passphrase"] === true;
    if ((keyfile === undefined) === !toPass) throw new UsageError("pass exactly one of --new-keyfile PATH and --to-passphrase");
    return withDb(args.config, async (c) => {
      // The current key first: a wrong one stops here, before anything is created.
      await c.unlock();
      let target: RekeyTarget;
      let created = false;
      if (keyfile !== undefined) {
        const path = resolve(keyfile);
        const k = c.services.maintenance.prepareKeyfile(c.ctx, path);
        created = k.created;
        target = { kind: "keyfile", key: k.key, path };
      } else {
        const a = await secret("New master passphrase: ");
        const b = await secret("Repeat new master passphrase: ");
        if (a !== b) throw new ExitError(1, "mcias db: the two passphrases differ; nothing was changed");
        target = { kind: "passphrase", passphrase: a };
      }
      let r;
      try {
        r = await c.services.maintenance.rekey(c.ctx, target);
      } finally {
        if (target.kind === "keyfile") target.key.fill(0);
      }
      const mk = c.config.masterKey;
      const cfg = c.config.source;
      const moved = `signing key (kid ${r.kid}, unchanged: issued tokens stay valid), ${r.totp_secrets} TOTP secret(s), ${r.pgcreds} Postgres password(s)`;
      const lines: string[] = [];
      if (target.kind === "keyfile") {
        lines.push(`rekey done: master key moved to keyfile ${target.path}${created ? " (created, mode 0600)" : ""}; moved: ${moved}.`);
        if (mk.keyfile === target.path) lines.push(`${cfg} already names this keyfile: start the server.`);
        else lines.push(`NEXT: before starting the server, edit [master_key] in ${cfg} to read exactly:`, `  keyfile = "${target.path}"`, "(remove passphrase_env). The server will not start with the old setting.");
      } else {
        lines.push(`rekey done: master key moved to the new passphrase; moved: ${moved}.`);
        if (mk.passphraseEnv) lines.push(`${cfg} already uses passphrase_env = "${mk.passphraseEnv}": start the server with the NEW passphrase in ${mk.passphraseEnv} (or unseal it with the new passphrase).`);
        else lines.push(`NEXT: before starting the server, edit [master_key] in ${cfg} to read:`, `  passphrase_env = "MCIAS_MASTER_PASSPHRASE"`, "(remove keyfile), then start it with the new passphrase in that variable, or start it sealed and unseal it.");
      }
      lines.push("The old key no longer opens this database; keep it only as long as you keep backups taken before this rekey.");
      console.log(lines.join("\n"));
    }, { exclusive: true });
  },
});
