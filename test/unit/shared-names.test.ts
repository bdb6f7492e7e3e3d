/**
 * Names and limits are defined once (issue 14 item 5): the REST schemas are built from
 * the kernel's error codes and the services' limits, the client library's own copy of
 * the error codes (it may not import server code) is held equal to them here, and no
 * source file but crypto/random.ts spells the UUID pattern.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { ErrorBody, Password, Username } from "../../src/schemas/common";
import { errorFromResponse } from "../../src/client/errors";
import { ERROR_CODES, ERROR_STATUS } from "../../src/errors";
import { PASSWORD_MAX, PASSWORD_MIN, USERNAME_RE } from "../../src/services/limits";

const SRC = join(import.meta.dir, "../../src");
const walk = (d: string): string[] => readdirSync(d).flatMap((n) => statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]);

describe("shared names and limits", () => {
  test("the REST error schema lists exactly the kernel's codes", () => {
    const codes = (ErrorBody.properties.code as unknown as { anyOf: { const: string }[] }).anyOf.map((x) => x.const);
    expect([...codes].sort()).toEqual([...ERROR_CODES].sort());
  });

  test("the client maps every code, by body and by status alone", () => {
    for (const code of ERROR_CODES) {
      const status = ERROR_STATUS[code];
      expect(errorFromResponse(status, { error: "x", code }, null).code).toBe(code);
      expect(errorFromResponse(status, null, null).code).toBe(code);
    }
  });

  test("schemas take the username pattern and the password policy from the services", () => {
    expect(Username.pattern).toBe(USERNAME_RE.source);
    expect(Password.description).toContain(`${PASSWORD_MIN}-${PASSWORD_MAX}`);
  });

  test("the UUID pattern is written once", () => {
    const spelled = walk(SRC).filter((f) => f.endsWith(".ts") && readFileSync(f, "utf8").includes("[0-9a-f]{8}-"));
    expect(spelled.map((f) => relative(SRC, f))).toEqual(["crypto/random.ts"]);
  });
});
