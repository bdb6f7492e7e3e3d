/**
 * The gRPC listener's TLS and lifecycle (SPEC §12, §13): TLS 1.0/1.1 handshakes fail
 * and 1.2/1.3 succeed on the gRPC port (openssl s_client, ALPN h2); SIGHUP swaps its
 * certificate for new connections; SIGTERM ends open streams and exits 0 well before
 * the drain deadline.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { Metadata } from "@grpc/grpc-js";
import { makeSelfSignedCert } from "../../src/crypto/selfSignedCert";
import { grpcChannel } from "../helpers/grpc";
import { removeDir, startServer, type TestServer } from "../helpers/server";

let s: TestServer;
beforeAll(async () => { s = await startServer({ grpc: true }); }, 60_000);
afterAll(async () => { await s?.stop(); if (s) removeDir(s.dir); });

async function handshake(hostPort: string, proto: string): Promise<boolean> {
  const p = Bun.spawn(["openssl", "s_client", "-connect", hostPort, `-${proto}`, "-alpn", "h2", "-cipher", "DEFAULT:@SECLEVEL=0", "-servername", "localhost"], {
    stdin: new Blob([""]), stdout: "pipe", stderr: "pipe",
  });
  const [out] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  await p.exited;
  const m = /^New, (TLSv[0-9.]+), Cipher is (\S+)/m.exec(out);
  return m !== null && m[2] !== "(NONE)";
}

function fingerprint(hostPort: string): Promise<string> {
  const [host, port] = [hostPort.slice(0, hostPort.lastIndexOf(":")), Number(hostPort.slice(hostPort.lastIndexOf(":") + 1))];
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port, servername: "localhost", ALPNProtocols: ["h2"], rejectUnauthorized: false }, () => {
      const fp = sock.getPeerCertificate().fingerprint256;
      sock.destroy();
      resolve(fp);
    });
    sock.on("error", reject);
  });
}

describe("gRPC port TLS", () => {
  test("TLS 1.0 and 1.1 fail, TLS 1.2 and 1.3 succeed", async () => {
    const h = s.grpc!;
    const res = { tls1: await handshake(h, "tls1"), tls1_1: await handshake(h, "tls1_1"), tls1_2: await handshake(h, "tls1_2"), tls1_3: await handshake(h, "tls1_3") };
    console.log(`FIGURE grpc-tls-handshakes: ${JSON.stringify(res)}`);
    expect(res).toEqual({ tls1: false, tls1_1: false, tls1_2: true, tls1_3: true });
  }, 60_000);

  test("SIGHUP: new connections get the new certificate; a client trusting only it works", async () => {
    const before = await fingerprint(s.grpc!);
    const cert = await makeSelfSignedCert({ dnsNames: ["localhost"], ips: ["127.0.0.1"] });
    writeFileSync(join(s.dir, "server.crt"), cert.certPem);
    writeFileSync(join(s.dir, "server.key"), cert.keyPem, { mode: 0o600 });
    process.kill(s.pid, "SIGHUP");
    let after = before;
    for (let i = 0; i < 100 && after === before; i++) {
      await Bun.sleep(50);
      after = await fingerprint(s.grpc!);
    }
    expect(after).not.toBe(before);
    const g = grpcChannel({ ...s, ca: cert.certPem });
    expect((await g.call("grpc.health.v1.Health/Check", {})).res).toEqual({ status: "SERVING" });
    g.close();
  }, 30_000);
});

describe("SIGTERM", () => {
  test("open Watch streams end and the server exits 0 well before the 10 s drain deadline", async () => {
    const z = await startServer({ grpc: true });
    try {
      const g = grpcChannel(z);
      const md = new Metadata();
      md.set("authorization", `Bearer ${await z.adminToken()}`);
      const stream = (g.stub("mcias.v1.AuditService") as any).Watch({}, md);
      const ended = new Promise<string>((resolve) => { stream.on("end", () => resolve("end")); stream.on("error", (e: any) => resolve(`error ${e.code}`)); stream.on("data", () => {}); });
      // Give the server a moment to have the stream open (an open stream is what must not hold shutdown).
      await Bun.sleep(300);
      const t0 = performance.now();
      const code = await z.stop();
      const secs = (performance.now() - t0) / 1000;
      expect(code).toBe(0);
      expect(secs).toBeLessThan(5);
      expect(await Promise.race([ended, Bun.sleep(5000).then(() => "still open")])).not.toBe("still open");
      expect(z.logs().join("\n")).not.toContain("drain deadline passed");
      g.close();
    } finally {
      await z.stop();
      removeDir(z.dir);
    }
  }, 60_000);
});
