import { defineCommand } from "citty";
import { VERSION } from "../version";
import { runCli } from "./run";
import { isServing, serveCommand } from "./serve";
import { versionCommand } from "./version";
import { normalJitPolicy } from "../env";

export const rootCommand = defineCommand({
  meta: { name: "mcias", version: VERSION, description: "Metacircular Identity and Access System: SSO and IAM for personal apps" },
  // ctl and db load when invoked: a serving process never holds their code.
  subCommands: {
    serve: serveCommand,
    ctl: () => import("./ctl").then((m) => m.ctlCommand),
    db: () => import("./db").then((m) => m.dbCommand),
    version: versionCommand,
  },
});

export async function main(argv: string[]): Promise<void> {
  // The start-up JIT policy (src/env.ts) is for a server's start; serve restores it once listening.
  if (argv[0] !== "serve") normalJitPolicy();
  const code = await runCli(rootCommand, argv);
  // serve keeps running until a signal; everything else exits with its code.
  if (code !== 0 || !isServing()) process.exit(code);
}
