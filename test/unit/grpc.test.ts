/** Pure parts of the gRPC adapter: time conversion, peer parsing, fixed descriptors, status mapping. */
import { describe, expect, test } from "bun:test";
import protobuf from "protobufjs";
import "protobufjs/ext/descriptor";
import { fromMessage, fromTimestamp, toMessage, toTimestamp } from "../../src/grpc/convert";
import { grpcStatusOf, peerIp } from "../../src/grpc/chain";
import { loadProtos } from "../../src/grpc/protos";
import { AppError } from "../../src/errors";

describe("convert", () => {
  test("RFC 3339 ⇄ Timestamp round-trips to the millisecond, before 1970 too", () => {
    for (const iso of ["2026-11-30T19:00:12.345Z", "1969-12-31T23:59:59.999Z", "2026-01-01T00:00:00.000Z"]) {
      expect(fromTimestamp(toTimestamp(iso))).toBe(iso);
    }
    expect(toTimestamp("2026-01-01T00:00:01.500Z")).toEqual({ seconds: 1767225601, nanos: 500_000_000 });
    expect(() => toTimestamp("yesterday")).toThrow();
  });

  test("toMessage drops nulls and converts only time fields; fromMessage restores named nulls", () => {
    const m = toMessage({ jti: "j", issued_at: "2026-01-01T00:00:00.000Z", revoked_at: null, nested: [{ granted_at: "2026-01-01T00:00:00.000Z", username: "2026-01-01T00:00:00.000Z" }] }) as any;
    expect(m).toEqual({ jti: "j", issued_at: { seconds: 1767225600, nanos: 0 }, nested: [{ granted_at: { seconds: 1767225600, nanos: 0 }, username: "2026-01-01T00:00:00.000Z" }] });
    expect(fromMessage({ jti: "j", issued_at: { seconds: 1767225600, nanos: 0 } }, ["revoked_at"])).toEqual({ jti: "j", issued_at: "2026-01-01T00:00:00.000Z", revoked_at: null });
  });
});

describe("chain helpers", () => {
  test("peerIp handles IPv4, bracketed IPv6 and prefixed forms", () => {
    expect(peerIp("127.0.0.1:5000")).toBe("127.0.0.1");
    expect(peerIp("[::1]:5000")).toBe("::1");
    expect(peerIp("ipv4:10.0.0.2:443")).toBe("10.0.0.2");
    expect(peerIp("[::ffff:127.0.0.1]:1")).toBe("::ffff:127.0.0.1");
    expect(peerIp("")).toBeNull();
  });

  test("status mapping follows SPEC §13", () => {
    const st = (c: ConstructorParameters<typeof AppError>[0], dup = false) => grpcStatusOf(new AppError(c, "m", { duplicate: dup }));
    expect([st("bad_request"), st("unauthorized"), st("forbidden"), st("not_found"), st("conflict"), st("conflict", true), st("rate_limited"), st("vault_sealed"), st("internal")])
      .toEqual([3, 16, 7, 5, 9, 6, 8, 14, 13]);
    expect(grpcStatusOf(new Error("boom"))).toBe(13);
  });
});

describe("fixed descriptors (what reflection serves)", () => {
  const p = loadProtos();
  const FDP = (protobuf as any).descriptor.FileDescriptorProto;
  const file = (n: string) => FDP.toObject(FDP.decode(p.fileBytes.get(n)!), { enums: String });

  test("type names are fully qualified, imports listed, proto3 optional marked", () => {
    const f = file("mcias/v1/mcias.proto");
    expect(f.dependency).toEqual(["google/protobuf/timestamp.proto"]);
    const account = f.messageType.find((m: any) => m.name === "Account");
    expect(account.field.find((x: any) => x.name === "created_at").typeName).toBe(".google.protobuf.Timestamp");
    const login = f.messageType.find((m: any) => m.name === "LoginRequest");
    expect(login.field.find((x: any) => x.name === "totp_code").proto3Optional).toBe(true);
    expect(login.field.find((x: any) => x.name === "password").proto3Optional).toBeUndefined();
    const svc = f.service.find((s: any) => s.name === "AuthService");
    expect(svc.method.find((m: any) => m.name === "Login").inputType).toBe(".mcias.v1.LoginRequest");
  });

  test("a symbol resolves to its file, asked-for file first", () => {
    expect(p.fileOfSymbol("mcias.v1.TokenService.ValidateToken")).toBe("mcias/v1/mcias.proto");
    expect(p.fileOfSymbol("grpc.health.v1.HealthCheckResponse.ServingStatus")).toBe("grpc/health/v1/health.proto");
    expect(p.withDependencies("mcias/v1/mcias.proto")).toEqual(["mcias/v1/mcias.proto", "google/protobuf/timestamp.proto"]);
    expect(p.fileOfSymbol("mcias.v1.Nope")).toBeUndefined();
  });
});
