import { describe, expect, test } from "bun:test";
import { open, seal, openString, sealString } from "../../src/crypto/aead";
import { constantTimeEqual } from "../../src/crypto/constantTime";
import { deriveMasterKey } from "../../src/crypto/kdf";
import { hashPassword, makeDecoyHash, needsRehash, passwordProblem, verifyPassword } from "../../src/crypto/password";
import { randomBytes } from "../../src/crypto/random";
import { matchTotp, newTotpSecret, totpCodeAt, totpUri } from "../../src/crypto/totp";

describe("AES-256-GCM", () => {
  const key = randomBytes(32);
  test("round trip, fresh nonce each time", () => {
    const a = sealString(key, "secret", "aad:1");
    const b = sealString(key, "secret", "aad:1");
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(0, 12).equals(b.subarray(0, 12))).toBe(false);
    expect(openString(key, a, "aad:1")).toBe("secret");
    expect(a.includes(Buffer.from("secret"))).toBe(false);
  });
  test("wrong AAD, wrong key, tampered or truncated blob all fail", () => {
    const blob = seal(key, Buffer.from("payload"), "pgcreds:a");
    expect(() => open(key, blob, "pgcreds:b")).toThrow();
    expect(() => open(randomBytes(32), blob, "pgcreds:a")).toThrow();
    const t = Buffer.from(blob);
    t[14]! ^= 1;
    expect(() => open(key, t, "pgcreds:a")).toThrow();
    expect(() => open(key, blob.subarray(0, 20), "pgcreds:a")).toThrow();
    expect(() => seal(randomBytes(16), Buffer.from("x"), "a")).toThrow();
  });
});

describe("master key KDF", () => {
  test("Argon2id matches the RFC 9106-style determinism: same input, same key; salt matters", async () => {
    const p = { memory: 19456, passes: 2, parallelism: 1 };
    const salt = Buffer.alloc(16, 7);
    const a = await deriveMasterKey("correct horse", salt, p);
    const b = await deriveMasterKey("correct horse", salt, p);
    const c = await deriveMasterKey("correct horse", Buffer.alloc(16, 8), p);
    expect(a.length).toBe(32);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });
});

describe("passwords", () => {
  test("policy: 12..256 characters, not the username", () => {
    expect(passwordProblem("short", "alice")).toMatch(/at least 12/);
    expect(passwordProblem("x".repeat(257), "alice")).toMatch(/at most 256/);
    expect(passwordProblem("Alice.Example", "alice.example")).toMatch(/username/);
    expect(passwordProblem("a fine long passphrase", "alice")).toBeNull();
  });
  test("Argon2id PHC hash verifies; weaker parameters need a rehash", async () => {
    const h = await hashPassword("a fine long passphrase", { time: 2, memoryKiB: 19456 });
    expect(h).toStartWith("$argon2id$");
    expect(await verifyPassword("a fine long passphrase", h)).toBe(true);
    expect(await verifyPassword("a wrong long passphrase", h)).toBe(false);
    expect(await verifyPassword("x", "not a hash")).toBe(false);
    expect(needsRehash(h, { time: 2, memoryKiB: 19456 })).toBe(false);
    expect(needsRehash(h, { time: 3, memoryKiB: 65536 })).toBe(true);
  });
  test("the decoy hash (made without hashing) has a real hash's shape and costs one real verify", async () => {
    const p = { time: 2, memoryKiB: 19456 };
    const real = await hashPassword("a fine long passphrase", p);
    const decoy = makeDecoyHash(p);
    const shape = (h: string) => h.replace(/\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/, (m) => m.replace(/[A-Za-z0-9+/]/g, "x"));
    expect(shape(decoy)).toBe(shape(real));
    expect(makeDecoyHash(p)).not.toBe(decoy);
    // Bun.password.verify itself (not the wrapper, which turns a throw into false): a
    // malformed decoy would throw at once and make unknown-user logins fast.
    expect(await Bun.password.verify("a fine long passphrase", decoy, "argon2id")).toBe(false);
    // Interleaved, medians: a decoy that failed to parse would answer in microseconds,
    // a verify takes milliseconds; 0.3× leaves room for a loaded machine.
    const real_: number[] = [], decoy_: number[] = [];
    for (let i = 0; i < 7; i++) {
      for (const [h, into] of [[real, real_], [decoy, decoy_]] as const) {
        const t0 = performance.now();
        await Bun.password.verify("a wrong long passphrase", h, "argon2id");
        into.push(performance.now() - t0);
      }
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[3]!;
    expect(median(decoy_)).toBeGreaterThan(median(real_) * 0.3);
  });
});

describe("TOTP", () => {
  test("codes match within ±1 step and name the step; others do not", () => {
    const secret = newTotpSecret();
    const now = 1_700_000_000_000;
    const step = Math.floor(now / 30_000);
    expect(matchTotp(secret, totpCodeAt(secret, now), now)).toBe(step);
    expect(matchTotp(secret, totpCodeAt(secret, now - 30_000), now)).toBe(step - 1);
    expect(matchTotp(secret, totpCodeAt(secret, now + 30_000), now)).toBe(step + 1);
    expect(matchTotp(secret, totpCodeAt(secret, now - 90_000), now)).toBeNull();
    expect(matchTotp(secret, "abcdef", now)).toBeNull();
    expect(matchTotp(secret, "1234567", now)).toBeNull();
  });
  test("agrees with oathtool, an independent implementation", () => {
    const secret = newTotpSecret();
    const now = Date.now();
    const p = Bun.spawnSync(["oathtool", "--totp", "-b", secret, "-N", `@${Math.floor(now / 1000)}`]);
    expect(p.exitCode).toBe(0);
    expect(p.stdout.toString().trim()).toBe(totpCodeAt(secret, now));
  });
  test("otpauth URI names SHA1, 6 digits, 30 s", () => {
    const u = new URL(totpUri(newTotpSecret(), "alice", "auth.example.com"));
    expect(u.protocol).toBe("otpauth:");
    expect(u.searchParams.get("algorithm")).toBe("SHA1");
    expect(u.searchParams.get("digits")).toBe("6");
    expect(u.searchParams.get("period")).toBe("30");
  });
});

test("constant-time equality", () => {
  expect(constantTimeEqual("abc", "abc")).toBe(true);
  expect(constantTimeEqual("abc", "abd")).toBe(false);
  expect(constantTimeEqual("abc", "abcd")).toBe(false);
});
