/** `mcias ctl auth …`: log in and out, who am I, own password and TOTP. */
import { createInterface } from "node:readline/promises";
import { UnauthorizedError } from "../../client/errors";
import type { Account } from "../../client/types";
import { readSecret } from "../prompt";
import { connection, forgetSavedToken, group, leaf, makeClient, output, printRecord, saveConnection, saveToken, secret } from "./common";

/** Shows an account as `key: value` lines. */
export function printAccount(a: Account): void {
  printRecord({
    id: a.id, username: a.username, type: a.account_type, status: a.status,
    ...(a.email ? { email: a.email } : {}), ...(a.display_name ? { display_name: a.display_name } : {}), roles: a.roles, tags: a.tags,
    totp: a.totp_enabled ? "enabled" : "disabled", created_at: a.created_at, updated_at: a.updated_at,
  });
}

async function readUsername(): Promise<string> {
  if (process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try { return (await rl.question("Username: ")).trim(); } finally { rl.close(); }
  }
  // Not a terminal: the next line of stdin, read through the same buffer as secrets.
  return (await secret("Username: ")).trim();
}

/** A TOTP code asked for after a refused login without one; null when none is given. */
async function askTotpAfterRefusal(): Promise<string | null> {
  try {
    const code = (await readSecret("Login refused. If your account uses TOTP, enter a code (empty to give up): ")).trim();
    return code === "" ? null : code;
  } catch { return null; }
}

const login = leaf({
  name: "login",
  description: "Log in and save the token (0600), the server URL and the CA path for later commands; " +
    "the token itself is never printed. Without --totp a refused login asks for a TOTP code once.",
  args: {
    username: { type: "string", description: "Account to log in as (prompted for when absent)" },
    totp: { type: "boolean", description: "Also prompt for a TOTP code (accounts with TOTP enrolled)" },
  },
  async run(args) {
    const c = makeClient(args, { auth: false });
    const username = typeof args.username === "string" && args.username ? args.username : await readUsername();
    const password = await secret("Password: ");
    const code = args.totp ? (await secret("TOTP code: ")).trim() : undefined;
    let r;
    try {
      r = await c.login(username, password, code);
    } catch (e) {
      // The server says only "invalid credentials" (it must not tell a stranger that the
      // account has TOTP); whoever did not give a code may add one and try once more.
      if (!(e instanceof UnauthorizedError) || code !== undefined) throw e;
      const late = await askTotpAfterRefusal();
      if (late === null) throw e;
      r = await c.login(username, password, late);
    }
    const path = saveToken(r.token);
    const { server, caPath } = connection(args);
    const conn = saveConnection({ server: server!, cacert: caPath });
    output(args, { expires_at: r.expires_at, token_file: path, server_file: conn }, (v) =>
      console.log(`logged in as ${username}; token saved to ${v.token_file}, expires ${v.expires_at}; ` +
        `server ${server}${caPath ? ` and CA ${caPath}` : ""} saved to ${v.server_file}`));
  },
});

const logout = leaf({
  name: "logout",
  description: "Revoke the current token on the server and delete the saved one",
  async run(args) {
    const c = makeClient(args);
    const token = c.token;
    try {
      await c.logout();
    } catch (e) {
      // An expired or revoked token is useless: forget it anyway, then report.
      if (e instanceof UnauthorizedError && token) forgetSavedToken(token);
      throw e;
    }
    if (token) forgetSavedToken(token);
    if (!args.json) console.log("logged out");
  },
});

const whoami = leaf({
  name: "whoami",
  description: "Show the account the token belongs to",
  async run(args) {
    output(args, await makeClient(args).me(), printAccount);
  },
});

const changePassword = leaf({
  name: "change-password",
  description: "Change your own password (prompted: current, then new twice); your other tokens are revoked",
  async run(args) {
    const c = makeClient(args);
    const current = await secret("Current password: ");
    const next = await secret("New password: ", { confirm: true });
    await c.changePassword(current, next);
    if (!args.json) console.log("password changed; your other tokens were revoked");
  },
});

const totpEnroll = leaf({
  name: "totp-enroll",
  description: "Start TOTP enrollment (your current password is prompted): prints the secret and otpauth URI (confirm with totp-confirm)",
  async run(args) {
    const current = await secret("Current password: ");
    output(args, await makeClient(args).totpEnroll(current), (v) => {
      printRecord({ secret: v.secret, otpauth_uri: v.otpauth_uri });
      console.log("add it to your authenticator, then run: mcias ctl auth totp-confirm --code CODE");
    });
  },
});

const totpConfirm = leaf({
  name: "totp-confirm",
  description: "Turn TOTP on with a current code from your authenticator",
  args: { code: { type: "string", required: true, description: "Current 6-digit TOTP code" } },
  async run(args) {
    const r = await makeClient(args).totpConfirm(String(args.code));
    output(args, r, (v) => {
      console.log("TOTP enabled: logins now need a code. Recovery codes (each works once in place of a code; shown only now):");
      for (const c of v.recovery_codes) console.log(`  ${c}`);
    });
  },
});

const recoveryCodes = leaf({
  name: "recovery-codes",
  description: "Make a new set of recovery codes (current password prompted); the old set stops working",
  async run(args) {
    const c = makeClient(args);
    const r = await c.regenerateRecoveryCodes(await secret("Current password: "));
    output(args, r, (v) => {
      console.log("New recovery codes (each works once in place of a TOTP code; shown only now):");
      for (const code of v.recovery_codes) console.log(`  ${code}`);
    });
  },
});

/** `mcias ctl auth`: login, logout, whoami, change-password, totp-enroll, totp-confirm. */
export const authGroup = group("auth",
  "Log in, log out, inspect and manage your own account. Example: mcias ctl auth login --username alice --server https://auth.example.com:8443 --cacert ca.pem",
  { login, logout, whoami, "change-password": changePassword, "totp-enroll": totpEnroll, "totp-confirm": totpConfirm, "recovery-codes": recoveryCodes });
