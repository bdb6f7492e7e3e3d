/**
 * The logger writes one JSON object per line — {time, level, msg, ...fields} — built
 * without the intermediate object on the hot path (issue 23); the result must be the
 * same object, whatever the fields hold.
 */
import { describe, expect, test } from "bun:test";
import { createLogger, type LogFields } from "../../src/log";

describe("log lines", () => {
  const cases: Array<[string, LogFields | undefined]> = [
    ["request", { method: "GET", path: "/a\"b\\c\u2028\n", status: 200, ms: 1.5, ip: null }],
    ["plain", undefined],
    ["empty", {}],
    ["skips undefined", { a: undefined, b: 1 }],
    ["a field named msg replaces it", { msg: "other", time: "t", level: "x" }],
    ["unicode ✓", { user: "zoë", n: -0.25, ok: false }],
  ];
  for (const [msg, f] of cases) {
    test(msg, () => {
      const lines: string[] = [];
      createLogger({ write: (l) => lines.push(l) }).warn(msg, f);
      expect(lines.length).toBe(1);
      expect(lines[0]!.includes("\n")).toBe(false);
      const got = JSON.parse(lines[0]!);
      if (!f || !("time" in f)) expect(Date.parse(got.time)).not.toBeNaN();
      const want = JSON.parse(JSON.stringify({ time: got.time, level: "warn", msg, ...f }));
      expect(got).toEqual(want);
      expect(Object.keys(got)).toEqual(Object.keys(want));
    });
  }
});
