import { defineCommand } from "citty";
import { COMMIT, VERSION } from "../version";

export const versionCommand = defineCommand({
  meta: { name: "version", description: "Print version and git commit" },
  run() {
    console.log(`mcias ${VERSION} (commit ${COMMIT}, bun ${Bun.version})`);
  },
});
