/**
 * A self-signed ECDSA P-256 certificate for the development instance and tests.
 * node:crypto cannot make X.509, so @peculiar/x509 (WebCrypto) does it.
 */
export async function makeSelfSignedCert(opts: { dnsNames: string[]; ips: string[]; days?: number }): Promise<{ certPem: string; keyPem: string }> {
  // Loaded here, in this order: only a new dev instance (and tests) make certificates,
  // and @peculiar/x509's DI container needs the Reflect polyfill in place before it loads.
  await import("reflect-metadata");
  const x509 = await import("@peculiar/x509");
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex").replace(/^[89a-f]/, "1"),
    name: `CN=${opts.dnsNames[0] ?? "localhost"}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + (opts.days ?? 365) * 86_400_000),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...opts.dnsNames.map((value) => ({ type: "dns" as const, value })),
        ...opts.ips.map((value) => ({ type: "ip" as const, value })),
      ]),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  const b64 = Buffer.from(pkcs8).toString("base64").replace(/(.{64})/g, "$1\n").trim();
  return { certPem: cert.toString("pem"), keyPem: `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n` };
}
