/** The shared-memory token buckets behind `[server] workers` > 1 (src/workers/sharedLimiter.ts). */
import { describe, expect, test } from "bun:test";
import { createLimiterMemory, createSharedLimiter } from "../../src/workers/sharedLimiter";

describe("shared token buckets", () => {
  test("a burst is exact, refills at the rate, and keys are independent", () => {
    let t = 1_000_000;
    const mem = createLimiterMemory();
    const l = createSharedLimiter({ rate: 2, burst: 3 }, mem, () => t);
    expect([l.take("a"), l.take("a"), l.take("a")]).toEqual([0, 0, 0]);
    expect(l.take("a")).toBe(1);
    expect(l.take("b")).toBe(0);
    t += 500; // one token back at 2/s
    expect(l.take("a")).toBe(0);
    expect(l.take("a")).toBeGreaterThan(0);
  });

  test("two limiter views over one table share the buckets", () => {
    const mem = createLimiterMemory();
    const a = createSharedLimiter({ rate: 0.001, burst: 4 }, mem);
    const b = createSharedLimiter({ rate: 0.001, burst: 4 }, mem);
    const got = [a.take("ip"), b.take("ip"), a.take("ip"), b.take("ip"), a.take("ip"), b.take("ip")];
    expect(got.filter((w) => w === 0)).toHaveLength(4);
  });

  test("a full table reuses the least recently touched slot; recent buckets stay", () => {
    let t = 1_000;
    const mem = createLimiterMemory(8);
    const l = createSharedLimiter({ rate: 0.001, burst: 1 }, mem, () => t);
    for (let i = 0; i < 20; i++) { t += 1; expect(l.take(`k${i}`)).toBe(0); }
    // The newest key is still in the table with an empty bucket.
    t += 1;
    expect(l.take("k19")).toBeGreaterThan(0);
    expect(l.take("k18")).toBeGreaterThan(0);
  });

  test("two threads hammering one key get exactly the burst between them", async () => {
    const mem = createLimiterMemory();
    const url = new URL("./fixtures/limiter-worker.ts", import.meta.url).href;
    const run = () => new Promise<number>((res, rej) => {
      const w = new Worker(url);
      w.onmessage = (e) => { res(e.data as number); w.terminate(); };
      w.onerror = (e) => rej(new Error(e.message));
      w.postMessage({ mem, key: "10.0.0.1", n: 20_000, burst: 5_000 });
    });
    const [x, y] = await Promise.all([run(), run()]);
    expect(x + y).toBe(5_000);
  }, 30_000);
});
