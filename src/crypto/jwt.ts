/**
 * Token signing and verification (SPEC §2). jose does the JWS work; the header rules
 * run before it: alg must be exactly EdDSA, and only alg/typ/kid may appear, so
 * `none`, HMAC/RSA/ECDSA confusion and key-injection headers (jku, x5u, jwk, crit)
 * never reach signature code.
 */
import { decodeProtectedHeader, jwtVerify, SignJWT } from "jose";
import type { KeyObject } from "node:crypto";
import { UUID_RE } from "./random";

export const CLOCK_SKEW_S = 60;
export const MAX_TOKEN_LENGTH = 8192;
const ALLOWED_HEADER_KEYS = new Set(["alg", "typ", "kid"]);

export type AccountType = "human" | "system";

export interface TokenClaims {
  iss: string;
  sub: string;
  iat: number;
  exp: number;
  jti: string;
  roles: string[];
  account_type: AccountType;
  username: string;
  /** The app the token was minted for (SPEC §18); absent = any audience. */
  aud?: string;
  /** Last primary authentication (password or passkey), seconds; SPEC §18. */
  auth_time?: number;
}

export class TokenRejected extends Error {
  constructor(readonly reason: string) {
    super(`token rejected: ${reason}`);
    this.name = "TokenRejected";
  }
}

export async function signToken(claims: TokenClaims, key: KeyObject, kid: string): Promise<string> {
  const jwt = new SignJWT({
    roles: claims.roles, account_type: claims.account_type, username: claims.username,
    ...(claims.auth_time !== undefined ? { auth_time: claims.auth_time } : {}),
  })
    .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid })
    .setIssuer(claims.iss)
    .setSubject(claims.sub)
    .setIssuedAt(claims.iat)
    .setExpirationTime(claims.exp)
    .setJti(claims.jti);
  if (claims.aud !== undefined) jwt.setAudience(claims.aud);
  return jwt.sign(key);
}

/**
 * True when some JSON object in `json` repeats a key. JSON.parse (and so jose) keeps the
 * last duplicate silently, so `{"alg":"none","alg":"EdDSA"}` would mean different things
 * to different parsers; RFC 7515 §5.2 lets us refuse such input, and we do. Keys are
 * compared after unescaping ("a" and "\u0061" are the same key).
 */
export function hasDuplicateKeys(json: string): boolean {
  const stack: Array<{ keys: Set<string> | null; expectKey: boolean }> = [];
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        let key: string;
        try { key = JSON.parse(json.slice(i, j + 1)) as string; } catch { return true; }
        if (top.keys.has(key)) return true;
        top.keys.add(key);
        top.expectKey = false;
      }
      i = j;
    } else if (c === "{") stack.push({ keys: new Set(), expectKey: true });
    else if (c === "[") stack.push({ keys: null, expectKey: false });
    else if (c === "}" || c === "]") stack.pop();
    else if (c === ",") { const top = stack[stack.length - 1]; if (top?.keys) top.expectKey = true; }
  }
  return false;
}

function segmentJson(segment: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) throw new TokenRejected("not base64url");
  return Buffer.from(segment, "base64url").toString("utf8");
}

/** Checks the header alone; exported so the attack suites can test it directly. */
export function checkHeader(token: string, kid: string): void {
  if (typeof token !== "string" || token.length === 0) throw new TokenRejected("empty");
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenRejected("too long");
  const parts = token.split(".");
  if (parts.length !== 3) throw new TokenRejected("not a compact JWS");
  // Header and payload must each be one unambiguous JSON object.
  if (hasDuplicateKeys(segmentJson(parts[0]!))) throw new TokenRejected("duplicate header key");
  if (hasDuplicateKeys(segmentJson(parts[1]!))) throw new TokenRejected("duplicate claim");
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch {
    throw new TokenRejected("malformed header");
  }
  // alg first, exactly, case-sensitive.
  if (header.alg !== "EdDSA") throw new TokenRejected("alg not allowed");
  for (const k of Object.keys(header)) {
    if (!ALLOWED_HEADER_KEYS.has(k)) throw new TokenRejected(`header ${k} not allowed`);
  }
  if (header.typ !== undefined && header.typ !== "JWT") throw new TokenRejected("typ not allowed");
  if (header.kid !== kid) throw new TokenRejected("unknown kid");
}

export async function verifyToken(
  token: string,
  publicKey: KeyObject,
  opts: { kid: string; issuer: string; nowMs: number },
): Promise<TokenClaims> {
  checkHeader(token, opts.kid);
  let payload: Record<string, unknown>;
  try {
    const res = await jwtVerify(token, publicKey, {
      algorithms: ["EdDSA"],
      issuer: opts.issuer,
      clockTolerance: CLOCK_SKEW_S,
      currentDate: new Date(opts.nowMs),
      requiredClaims: ["iss", "sub", "iat", "exp", "jti"],
    });
    payload = res.payload as Record<string, unknown>;
  } catch {
    throw new TokenRejected("signature or claims invalid");
  }
  const nowS = Math.floor(opts.nowMs / 1000);
  const { sub, iat, exp, jti, roles, account_type, username, iss, aud, auth_time } = payload;
  if (typeof iat !== "number" || iat > nowS + CLOCK_SKEW_S) throw new TokenRejected("iat in the future");
  if (typeof exp !== "number" || exp <= iat) throw new TokenRejected("exp invalid");
  if (typeof sub !== "string" || !UUID_RE.test(sub)) throw new TokenRejected("sub invalid");
  if (typeof jti !== "string" || !UUID_RE.test(jti)) throw new TokenRejected("jti invalid");
  if (!Array.isArray(roles) || roles.some((r) => typeof r !== "string")) throw new TokenRejected("roles invalid");
  if (account_type !== "human" && account_type !== "system") throw new TokenRejected("account_type invalid");
  if (typeof username !== "string") throw new TokenRejected("username invalid");
  // We mint aud as one string; an array (or anything else) is not ours.
  if (aud !== undefined && (typeof aud !== "string" || aud === "")) throw new TokenRejected("aud invalid");
  if (auth_time !== undefined && (typeof auth_time !== "number" || !Number.isInteger(auth_time) || auth_time > iat + CLOCK_SKEW_S)) {
    throw new TokenRejected("auth_time invalid");
  }
  return {
    iss: iss as string, sub, iat, exp, jti, roles: roles as string[], account_type, username,
    ...(aud !== undefined ? { aud: aud as string } : {}), ...(auth_time !== undefined ? { auth_time: auth_time as number } : {}),
  };
}
