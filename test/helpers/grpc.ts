/**
 * A raw gRPC caller for tests: @grpc/grpc-js stubs from the embedded protos, TLS with
 * the test server's certificate, and every outcome (status code, message, mcias-code
 * trailer, response) returned instead of thrown, so tables can compare them.
 */
import { credentials, Metadata, status, type Client, type ServiceError } from "@grpc/grpc-js";
import { checkServerIdentity } from "node:tls";
import { CLIENT_LOADER_OPTIONS, loadProtos } from "../../src/grpc/protos";
import type { TestServer } from "./server";

export { status };

export interface GrpcResult {
  code: status;
  /** status name, e.g. "PERMISSION_DENIED". */
  name: string;
  details: string;
  mciasCode: string | null;
  retryAfter: string | null;
  res: Record<string, any> | null;
}

const protos = loadProtos(CLIENT_LOADER_OPTIONS);

export function grpcChannel(s: TestServer) {
  const addr = s.grpc!;
  const host = addr.slice(0, addr.lastIndexOf(":"));
  const creds = credentials.createSsl(Buffer.from(s.ca), null, null, { checkServerIdentity: (_n, cert) => checkServerIdentity(host, cert) });
  const opts = { "grpc.ssl_target_name_override": "mcias.invalid" };
  const stubs = new Map<string, Client>();
  const stub = (service: string): Client => {
    let c = stubs.get(service);
    if (!c) {
      const Ctor = protos.service(service);
      c = new Ctor(addr, creds, opts);
      stubs.set(service, c);
    }
    return c;
  };
  return {
    stub,
    /** Unary call `"mcias.v1.AuthService/Me"`, optionally with `authorization: Bearer <token>` or raw metadata. */
    call(method: string, req: Record<string, unknown> = {}, auth?: { token?: string; metadata?: Record<string, string> }): Promise<GrpcResult> {
      const [service, name] = method.split("/") as [string, string];
      const md = new Metadata();
      if (auth?.token !== undefined) md.set("authorization", `Bearer ${auth.token}`);
      for (const [k, v] of Object.entries(auth?.metadata ?? {})) md.add(k, v);
      const c = stub(service) as unknown as Record<string, Function>;
      return new Promise((resolve) => {
        c[name]!.call(c, req, md, { deadline: new Date(Date.now() + 30_000) }, (err: ServiceError | null, res: Record<string, any>) => {
          if (!err) return resolve({ code: status.OK, name: "OK", details: "", mciasCode: null, retryAfter: null, res });
          const mc = err.metadata?.get("mcias-code")[0];
          const ra = err.metadata?.get("retry-after")[0];
          resolve({
            code: err.code, name: status[err.code] ?? String(err.code), details: err.details,
            mciasCode: typeof mc === "string" ? mc : null, retryAfter: typeof ra === "string" ? ra : null, res: null,
          });
        });
      });
    },
    close() { for (const c of stubs.values()) c.close(); },
  };
}

export type GrpcChannel = ReturnType<typeof grpcChannel>;
