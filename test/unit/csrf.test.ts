import { describe, expect, test } from "bun:test";
import { createCsrf } from "../../src/ui/csrf";

describe("CSRF double-submit token", () => {
  const csrf = createCsrf();

  test("an issued token verifies against itself", () => {
    const t = csrf.issue();
    expect(csrf.isSigned(t)).toBe(true);
    expect(csrf.verify(t, t)).toBe(true);
  });

  test("tokens are unique", () => {
    expect(csrf.issue()).not.toBe(csrf.issue());
  });

  test("missing cookie or missing submitted value fails", () => {
    const t = csrf.issue();
    expect(csrf.verify(null, t)).toBe(false);
    expect(csrf.verify(t, null)).toBe(false);
    expect(csrf.verify("", "")).toBe(false);
    expect(csrf.verify(undefined, undefined)).toBe(false);
  });

  test("two different valid tokens do not match each other", () => {
    expect(csrf.verify(csrf.issue(), csrf.issue())).toBe(false);
  });

  test("a forged token (attacker picks both cookie and field) fails the signature", () => {
    const forged = "A".repeat(32) + "." + "B".repeat(43);
    expect(csrf.verify(forged, forged)).toBe(false);
  });

  test("a token signed by another key (another process) fails", () => {
    const other = createCsrf().issue();
    expect(csrf.verify(other, other)).toBe(false);
  });

  test("a tampered nonce or signature fails", () => {
    const t = csrf.issue();
    const [n, m] = t.split(".") as [string, string];
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
    expect(csrf.verify(`${flip(n)}.${m}`, `${flip(n)}.${m}`)).toBe(false);
    expect(csrf.verify(`${n}.${flip(m)}`, `${n}.${flip(m)}`)).toBe(false);
  });

  test("malformed values are refused without throwing", () => {
    for (const bad of ["x", ".", "a.b.c", "<script>", "A".repeat(5000)]) {
      expect(csrf.verify(bad, bad)).toBe(false);
    }
  });

  test("a short key is refused", () => {
    expect(() => createCsrf(new Uint8Array(16))).toThrow();
  });
});
