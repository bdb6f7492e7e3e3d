/**
 * The body of scripts/conformance-server (SPEC §14): one real, compiled MCIAS server for
 * a client library's conformance run. Prints one JSON line on stdout:
 *
 *   {"url","ca_file","issuer","admin_username","admin_password","unseal_passphrase","unseal_burst","pid"}
 *
 * and stops the server (SIGTERM, then removes the temp directory) when stdin reaches
 * EOF or on SIGTERM/SIGINT. Server log lines go to stderr only with
 * MCIAS_CONFORMANCE_VERBOSE=1 (and the last ones when the server dies unexpectedly).
 *
 * Limits are set for a deterministic suite: login and validate effectively unlimited,
 * unseal limited to `unseal_burst` calls per IP with practically no refill (one token
 * per 1000 s), so the rate_limited case knows when the 429 comes.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { makeSelfSignedCert } from "../src/crypto/selfSignedCert";

const ROOT = resolve(import.meta.dir, "..");
const BIN = process.env.MCIAS_BIN || join(ROOT, "bin/mcias");
const VERBOSE = process.env.MCIAS_CONFORMANCE_VERBOSE === "1";
const PASS_ENV = "MCIAS_CONFORMANCE_PASSPHRASE";
const UNSEAL_BURST = 6;
const ISSUER = "https://mcias.conformance.test";

const fail = (msg: string): never => {
  process.stderr.write(`conformance-server: ${msg}\n`);
  process.exit(1);
};

if (!(await Bun.file(BIN).exists())) fail(`${BIN} missing: build it first (npm run build)`);

const rand = (n: number) => randomBytes(n).toString("base64url");
const adminPassword = `adm-${rand(18)}`;
const passphrase = `unseal-${rand(24)}`;
const dir = mkdtempSync(join(tmpdir(), "mcias-conformance-"));
let cleaned = false;
const cleanup = () => {
  if (cleaned) return;
  cleaned = true;
  rmSync(dir, { recursive: true, force: true });
};

const cert = await makeSelfSignedCert({ dnsNames: ["localhost"], ips: ["127.0.0.1"] });
const caFile = join(dir, "server.crt");
writeFileSync(caFile, cert.certPem);
writeFileSync(join(dir, "server.key"), cert.keyPem, { mode: 0o600 });
const configPath = join(dir, "mcias.toml");
writeFileSync(configPath, `[server]
listen_addr = "127.0.0.1:0"
tls_cert = "server.crt"
tls_key = "server.key"

[database]
path = "mcias.db"

[tokens]
issuer = "${ISSUER}"

[argon2]
time = 2
memory = 19456

[master_key]
passphrase_env = "${PASS_ENV}"

[rate_limit]
login_rate = 1000
login_burst = 1000
validate_rate = 10000
validate_burst = 10000
unseal_rate = 0.001
unseal_burst = ${UNSEAL_BURST}
`);

const env: Record<string, string> = { ...(process.env as Record<string, string>), NO_COLOR: "1", [PASS_ENV]: passphrase };

async function mcias(args: string[], stdin?: string): Promise<void> {
  const p = Bun.spawn([BIN, ...args, "--config", configPath], {
    stdin: stdin === undefined ? "ignore" : new Blob([stdin]), stdout: "pipe", stderr: "pipe", env, cwd: dir,
  });
  const [, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) {
    cleanup();
    fail(`mcias ${args.slice(0, 3).join(" ")} failed (${code}): ${err.trim()}`);
  }
}

await mcias(["db", "schema", "migrate"]);
await mcias(["db", "account", "create", "--username", "admin", "--type", "human"], `${adminPassword}\n${adminPassword}\n`);
await mcias(["db", "role", "grant", "--username", "admin", "--role", "admin"]);

// `timeout` ends the server even if this process is SIGKILLed and cannot clean up.
const proc = Bun.spawn(["timeout", "-k", "30", "3600", BIN, "serve", "--config", configPath], {
  stdin: "ignore", stdout: "pipe", stderr: "pipe", env, cwd: dir,
});
const tail: string[] = [];
let url = "";
let pid = 0;
let stopping = false;

const ready = new Promise<void>((res, rej) => {
  const timer = setTimeout(() => rej(new Error("the server did not start within 60 s")), 60_000);
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of stream) {
      buf += dec.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (VERBOSE) process.stderr.write(`[mcias] ${line}\n`);
        tail.push(line);
        if (tail.length > 50) tail.shift();
        if (!url && line.includes('"msg":"listening"')) {
          const j = JSON.parse(line) as { url: string; pid: number };
          url = j.url;
          pid = j.pid;
          clearTimeout(timer);
          res();
        }
      }
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  void proc.exited.then((code) => {
    clearTimeout(timer);
    if (!url) rej(new Error(`the server exited (${code}) before listening`));
  });
});

async function stop(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => {});
  stopping = true;
  if (proc.exitCode === null) {
    proc.kill("SIGTERM");
    await proc.exited;
  }
  cleanup();
  process.exit(code);
}

process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));

try {
  await ready;
} catch (e) {
  process.stderr.write(tail.join("\n") + "\n");
  proc.kill("SIGKILL");
  cleanup();
  fail((e as Error).message);
}

void proc.exited.then((code) => {
  if (stopping) return;
  process.stderr.write(`conformance-server: the server exited unexpectedly (${code}); last lines:\n${tail.join("\n")}\n`);
  cleanup();
  process.exit(1);
});

process.stdout.write(JSON.stringify({
  url,
  ca_file: caFile,
  issuer: ISSUER,
  admin_username: "admin",
  admin_password: adminPassword,
  unseal_passphrase: passphrase,
  unseal_burst: UNSEAL_BURST,
  pid,
}) + "\n");

// Runs until stdin closes (the runner exited or closed the pipe).
try {
  for await (const _ of Bun.stdin.stream()) { /* discard */ }
} catch { /* a closed or broken stdin ends the run too */ }
await stop(0);
