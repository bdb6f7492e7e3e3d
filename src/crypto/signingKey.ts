/** The Ed25519 token-signing key: generation, JWK export, key id. */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";

export interface PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid: string;
  use: "sig";
  alg: "EdDSA";
}

export function generateSigningKey(): { pkcs8: Buffer; publicJwk: PublicJwk } {
  const { privateKey } = generateKeyPairSync("ed25519");
  const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
  return { pkcs8, publicJwk: publicJwkFromPrivate(pkcs8) };
}

export function privateKeyObject(pkcs8: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
}

export function publicJwkFromPrivate(pkcs8: Uint8Array): PublicJwk {
  const pub = createPublicKey(privateKeyObject(pkcs8));
  const jwk = pub.export({ format: "jwk" }) as { x: string };
  // kid = RFC 7638 thumbprint of the public key, so it changes only with the key.
  const thumb = createHash("sha256").update(JSON.stringify({ crv: "Ed25519", kty: "OKP", x: jwk.x })).digest("base64url");
  return { kty: "OKP", crv: "Ed25519", x: jwk.x, kid: thumb, use: "sig", alg: "EdDSA" };
}

export function publicKeyObject(jwk: PublicJwk): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" });
}
