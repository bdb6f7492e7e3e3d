/**
 * A WebAuthn platform authenticator in software, for tests that drive ceremonies over
 * REST without a browser: one ES256 credential, attestation "none", user present and
 * verified, a signature counter that grows. Its responses are the browser's JSON forms
 * (RegistrationResponseJSON / AuthenticationResponseJSON), verified by the server's
 * real @simplewebauthn/server code. Tiny CBOR encoder included (maps, ints, strings, bytes).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";

export function cbor(v: unknown): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  };
  if (typeof v === "number") return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === "string") { const s = Buffer.from(v, "utf8"); return Buffer.concat([head(3, s.length), s]); }
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), v]);
  const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as object);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest();
const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");

/** A platform authenticator in software: one ES256 credential, user verification done. */
export class SoftAuthenticator {
  readonly credId = randomBytes(16);
  readonly key: KeyObject;
  readonly cose: Buffer;
  counter = 0;
  constructor(readonly rpId: string, readonly origin: string) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.key = privateKey;
    const jwk = publicKey.export({ format: "jwk" }) as { x: string; y: string };
    this.cose = cbor(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x, "base64url")], [-3, Buffer.from(jwk.y, "base64url")]]));
  }
  private clientData(type: string, challenge: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }
  create(challenge: string) {
    const count = Buffer.alloc(4);
    const idLen = Buffer.from([this.credId.length >> 8, this.credId.length & 255]);
    // flags: user present, user verified, attested credential data
    const authData = Buffer.concat([sha256(this.rpId), Buffer.from([0x45]), count, Buffer.alloc(16), idLen, this.credId, this.cose]);
    return {
      id: b64u(this.credId), rawId: b64u(this.credId), type: "public-key", clientExtensionResults: {},
      response: {
        clientDataJSON: b64u(this.clientData("webauthn.create", challenge)),
        attestationObject: b64u(cbor({ fmt: "none", attStmt: {}, authData })),
        transports: ["internal"],
      },
    };
  }
  get(challenge: string, userId: string) {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(++this.counter);
    const authData = Buffer.concat([sha256(this.rpId), Buffer.from([0x05]), count]);
    const clientData = this.clientData("webauthn.get", challenge);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientData)]), this.key);
    return {
      id: b64u(this.credId), rawId: b64u(this.credId), type: "public-key", clientExtensionResults: {},
      response: { clientDataJSON: b64u(clientData), authenticatorData: b64u(authData), signature: b64u(signature), userHandle: b64u(Buffer.from(userId)) },
    };
  }
}
