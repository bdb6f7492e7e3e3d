/**
 * Review finding: /static/:file looked the name up in a plain object, so
 * /static/__proto__ (or constructor, toString) reached Bun.file(undefined): an
 * unauthenticated 500 and an error log line on demand. Must be a plain 404.
 */
import { expect, test } from "bun:test";
import { type TestServer, useServer } from "../helpers/server";

let s: TestServer;
useServer((srv) => (s = srv));

test("inherited property names under /static are 404, real assets still 200", async () => {
  for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]) {
    const r = await s.fetch(`/static/${name}`);
    expect(r.status).toBe(404);
    await r.body?.cancel();
  }
  const ok = await s.fetch("/static/app.css");
  expect(ok.status).toBe(200);
  await ok.body?.cancel();
  expect(s.logs().some((l) => l.includes('"level":"error"'))).toBe(false);
}, 60_000);
