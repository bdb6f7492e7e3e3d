import { describe, expect, test } from "bun:test";
import { createProxyMatcher, resolveClientIp } from "../../src/http/clientIp";
import { createLimiter } from "../../src/http/rateLimit";
import { bearerToken } from "../../src/http/bearer";
import { afterFailure, CLEARED, isLocked } from "../../src/services/lockout";

describe("client IP", () => {
  const trusted = createProxyMatcher(["10.0.0.0/8", "127.0.0.1"]);
  test("untrusted peers are taken as they are, whatever X-Forwarded-For says", () => {
    expect(resolveClientIp("203.0.113.9", "1.2.3.4", trusted)).toBe("203.0.113.9");
  });
  test("a trusted proxy's X-Forwarded-For is read right to left past other proxies", () => {
    expect(resolveClientIp("127.0.0.1", "198.51.100.7, 10.1.1.1", trusted)).toBe("198.51.100.7");
    expect(resolveClientIp("::ffff:127.0.0.1", "198.51.100.7", trusted)).toBe("198.51.100.7");
  });
  test("garbage in the header falls back to the socket peer", () => {
    expect(resolveClientIp("127.0.0.1", "not-an-ip", trusted)).toBe("127.0.0.1");
  });
  test("no trusted proxies: never read the header", () => {
    expect(resolveClientIp("127.0.0.1", "1.2.3.4", createProxyMatcher([]))).toBe("127.0.0.1");
  });
});

describe("token bucket", () => {
  test("burst, then refill at the rate, per key", () => {
    let now = 0;
    const l = createLimiter({ rate: 2, burst: 3 }, () => now);
    expect([l.take("a"), l.take("a"), l.take("a")]).toEqual([0, 0, 0]);
    expect(l.take("a")).toBeGreaterThan(0);
    expect(l.take("b")).toBe(0);
    now += 500;
    expect(l.take("a")).toBe(0);
    expect(l.take("a")).toBeGreaterThan(0);
  });
});

describe("lockout", () => {
  const p = { maxFailures: 3, windowMs: 60_000, durationMs: 120_000 };
  test("locks after max failures inside the window, for the duration", () => {
    let s = CLEARED;
    s = afterFailure(s, p, 0);
    s = afterFailure(s, p, 1000);
    expect(isLocked(s, 1000)).toBe(false);
    s = afterFailure(s, p, 2000);
    expect(isLocked(s, 2000)).toBe(true);
    expect(isLocked(s, 2000 + 119_999)).toBe(true);
    expect(isLocked(s, 2000 + 120_000)).toBe(false);
  });
  test("failures outside the window start a new count", () => {
    let s = afterFailure(CLEARED, p, 0);
    s = afterFailure(s, p, 1000);
    s = afterFailure(s, p, 61_000);
    expect(s.failed_count).toBe(1);
    expect(isLocked(s, 61_000)).toBe(false);
  });
});

describe("Authorization header", () => {
  test("scheme is case-insensitive; anything else is refused", () => {
    expect(bearerToken("Bearer a.b.c")).toBe("a.b.c");
    expect(bearerToken("bEaReR a.b.c")).toBe("a.b.c");
    for (const bad of [undefined, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "Token a.b.c", "Bearer a.b.c\"x"]) {
      expect(() => bearerToken(bad)).toThrow();
    }
  });
});

describe("rate-limit buckets", () => {
  test("IPv6 clients share one bucket per /64; IPv4 and v4-mapped are per address", async () => {
    const { bucketKey, createLimiters } = await import("../../src/http/limiters");
    expect(bucketKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(bucketKey("2001:0db8:0001:0002:ffff:1:2:3")).toBe("2001:db8:1:2::/64");
    expect(bucketKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(bucketKey("::1")).toBe("0:0:0:0::/64");
    expect(bucketKey("203.0.113.7")).toBe("203.0.113.7");
    expect(bucketKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(bucketKey(null)).toBe("unknown");
    // rotating addresses inside one /64 does not buy a fresh bucket
    const l = createLimiters({ login: { rate: 0.001, burst: 2 }, validate: { rate: 1, burst: 1 }, unseal: { rate: 1, burst: 1 } }, () => 0);
    l.check("login", "2001:db8:1:2::a");
    l.check("login", "2001:db8:1:2::b");
    expect(() => l.check("login", "2001:db8:1:2::c")).toThrow();
    l.check("login", "2001:db8:1:3::a"); // another /64 is another client
  });
});
