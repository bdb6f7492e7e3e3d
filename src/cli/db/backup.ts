import { resolve } from "node:path";
import { defineCommand } from "citty";
import { configArg, withDb } from "./context";

export const backupCommand = defineCommand({
  meta: {
    name: "backup",
    description: "Consistent online copy of the database (safe while the server runs); never overwrites a file",
  },
  args: { ...configArg, out: { type: "string", required: true, description: "new file to write (mode 0600)" } },
  run: ({ args }) => withDb(args.config, (c) => {
    const out = resolve(String(args.out));
    const r = c.services.maintenance.backup(c.ctx, out);
    console.log(`backup written to ${out} (${r.bytes} bytes, integrity ok). Its secrets open only with the current master key: keep that key as long as you keep this file.`);
  }),
});
