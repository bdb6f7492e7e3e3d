/**
 * The gRPC listener (SPEC §13): its own port over node:http2 (Bun.serve has no HTTP/2),
 * the same certificate as REST (TLS ≥ 1.2, reloaded on SIGHUP), the same services and
 * limiters. Serves mcias.v1.*, grpc.health.v1.Health and server reflection v1/v1alpha.
 */
import { readFileSync } from "node:fs";
import type { SecureContextOptions } from "node:tls";
import {
  Server, ServerCredentials, status, type Metadata, type ServerDuplexStream, type ServerUnaryCall, type ServerWritableStream,
  type UntypedServiceImplementation, type sendUnaryData,
} from "@grpc/grpc-js";
import type { App } from "../app";
import type { Config } from "../config/schema";
import { AppError } from "../errors";
import { createInterceptors, peerIp, runChain, type CallInfo, type RpcRule } from "./chain";
import { toStatus } from "./errors";
import { auditEvent, RPCS, type Msg } from "./handlers";
import { toMessage } from "./convert";
import { loadProtos, type Protos } from "./protos";

/** Largest request message accepted (the REST body limit); larger is RESOURCE_EXHAUSTED. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
const WATCH_POLL_MS = 250;
/** Open server streams (Watch, Health/Watch) at most; more are RESOURCE_EXHAUSTED. */
export const MAX_STREAMS = 256;

/** Counts open streams and ends them all on shutdown. */
interface Streams { open(onStop: () => void): () => void }

function createStreams(stopping: AbortSignal): Streams {
  let count = 0;
  return {
    open(onStop) {
      if (count >= MAX_STREAMS) throw new AppError("rate_limited", "too many open streams");
      count++;
      stopping.addEventListener("abort", onStop, { once: true });
      let closed = false;
      return () => {
        if (closed) return;
        closed = true;
        count--;
        stopping.removeEventListener("abort", onStop);
      };
    },
  };
}

/** Server credentials whose certificate can be swapped without a new listener. */
class ReloadableCredentials extends ServerCredentials {
  constructor(ctx: SecureContextOptions) {
    // Node's (and Bun's) TLS default minimum is 1.2; set it explicitly all the same.
    super({ minVersion: "TLSv1.2" }, ctx);
  }
  reload(ctx: SecureContextOptions): void { this.updateSecureContextOptions(ctx); }
  _equals(other: ServerCredentials): boolean { return other === this; }
}

function readTls(config: Config): SecureContextOptions {
  return { cert: readFileSync(config.server.tlsCert), key: readFileSync(config.server.tlsKey), minVersion: "TLSv1.2" };
}

export interface RunningGrpcServer {
  /** "host:port" actually bound. */
  address: string;
  port: number;
  /** Re-reads the certificate and key; a bad file throws and the old pair keeps serving. */
  reloadTls(): void;
  /** Ends open streams, lets unary calls finish for up to `graceMs`, then closes. Resolves true when forced. */
  stop(graceMs?: number): Promise<boolean>;
}

export async function startGrpcServer(app: App, config: Config, addr: { host: string; port: number }): Promise<RunningGrpcServer> {
  const { services: s, limiters, log } = app;
  const protos = loadProtos();
  const chain = createInterceptors(s, limiters, log);
  const stopping = new AbortController();
  const streams = createStreams(stopping.signal);
  const server = new Server({
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.keepalive_permit_without_calls": 0,
  });

  const callInfo = (method: string, peer: string, metadata: Metadata): CallInfo => {
    const ip = peerIp(peer);
    return { method, ip, metadata, ctx: { ip, principal: null } };
  };

  const unary = (method: string, rule: RpcRule, handler: (call: CallInfo, req: Msg) => unknown) =>
    (call: ServerUnaryCall<Msg, unknown>, cb: sendUnaryData<unknown>) => {
      const info = callInfo(method, call.getPeer(), call.metadata);
      runChain(chain, info, rule, async () => handler(info, call.request)).then(
        (res) => cb(null, res),
        (e) => cb(toStatus(e, log, method)),
      );
    };

  // mcias.v1.*: every RPC of the table, through the chain.
  for (const [svcName, rpcs] of Object.entries(RPCS)) {
    const impl: UntypedServiceImplementation = {};
    for (const [name, rpc] of Object.entries(rpcs)) {
      impl[name] = unary(`/${svcName}/${name}`, rpc, async (info, req) => toMessage(await rpc.run(s, info.ctx, req)));
    }
    if (svcName === "mcias.v1.AuditService") impl.Watch = auditWatch(s, chain, log, streams, callInfo);
    server.addService(protos.service(svcName).service, impl);
  }

  // grpc.health.v1.Health: SERVING, or NOT_SERVING while sealed; "" and our services are known.
  const known = new Set(["", ...protos.serviceNames.filter((n) => n.startsWith("mcias.v1."))]);
  const healthOf = (service: string) => {
    if (!known.has(service)) throw new AppError("not_found", "unknown service");
    return { status: s.vault.status().sealed ? "NOT_SERVING" : "SERVING" };
  };
  const healthRule: RpcRule = { auth: false, openWhileSealed: true, quiet: true };
  server.addService(protos.service("grpc.health.v1.Health").service, {
    Check: unary("/grpc.health.v1.Health/Check", healthRule, (_i, req) => healthOf(String(req.service ?? ""))),
    Watch: (call: ServerWritableStream<Msg, unknown>) => {
      const info = callInfo("/grpc.health.v1.Health/Watch", call.getPeer(), call.metadata);
      void runChain(chain, info, healthRule, () => new Promise<void>((resolve) => {
        let last = "";
        const tick = () => {
          try {
            const h = healthOf(String(call.request.service ?? ""));
            if (h.status !== last) { last = h.status; call.write(h); }
          } catch { /* unknown service: SERVICE_UNKNOWN */
            if (last !== "SERVICE_UNKNOWN") { last = "SERVICE_UNKNOWN"; call.write({ status: "SERVICE_UNKNOWN" }); }
          }
        };
        let timer: ReturnType<typeof setInterval> | undefined;
        const end = () => { clearInterval(timer); close(); resolve(); };
        const close = streams.open(end);
        tick();
        timer = setInterval(tick, 1000);
        call.on("cancelled", end);
      })).then(() => call.end(), (e) => call.emit("error", toStatus(e, log, info.method)));
    },
  });

  // Server reflection, v1 and v1alpha (same messages), from the fixed descriptors.
  for (const v of ["v1", "v1alpha"]) {
    const name = `grpc.reflection.${v}.ServerReflection`;
    server.addService(protos.service(name).service, { ServerReflectionInfo: reflectionHandler(protos) });
  }

  const creds = new ReloadableCredentials(readTls(config));
  const host = addr.host.includes(":") ? `[${addr.host}]` : addr.host;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${addr.port}`, creds, (err, p) => (err ? reject(err) : resolve(p))));

  return {
    address: `${host}:${port}`,
    port,
    reloadTls() { creds.reload(readTls(config)); },
    async stop(graceMs = 10_000) {
      stopping.abort();
      const graceful = new Promise<boolean>((resolve) => server.tryShutdown(() => resolve(false)));
      const forced = await Promise.race([graceful, Bun.sleep(graceMs).then(() => true)]);
      if (forced) server.forceShutdown();
      return forced;
    },
  };
}

/** AuditService/Watch: after the chain (admin check by the service), stream new rows as they are written. */
function auditWatch(
  s: App["services"], chain: ReturnType<typeof createInterceptors>, log: App["log"], streams: Streams,
  callInfo: (m: string, peer: string, md: Metadata) => CallInfo,
) {
  const rule: RpcRule = { auth: true };
  return (call: ServerWritableStream<Msg, unknown>) => {
    const method = "/mcias.v1.AuditService/Watch";
    const info = callInfo(method, call.getPeer(), call.metadata);
    const type = typeof call.request.type === "string" ? call.request.type : undefined;
    runChain(chain, info, rule, () => new Promise<void>((resolve, reject) => {
      let after = s.auditQuery.watchStart(info.ctx);
      let done = false;
      let busy = false;
      let timer: ReturnType<typeof setInterval> | undefined;
      const finish = (e?: unknown) => {
        if (done) return;
        done = true;
        clearInterval(timer);
        close();
        if (e) reject(e); else resolve();
      };
      const close = streams.open(() => finish());
      timer = setInterval(() => {
        if (busy || done) return; // one poll at a time: no event twice, none skipped
        busy = true;
        void (async () => {
          try {
            // The caller is re-checked every poll: a revoked token or a lost admin role ends the stream.
            const ctx = { ip: info.ip, principal: await s.tokens.authenticate(info.token!) };
            for (const ev of s.auditQuery.after(ctx, after)) {
              after = ev.id;
              if (type === undefined || ev.type === type) call.write(toMessage(auditEvent(ev)));
            }
          } catch (e) { finish(e); } finally { busy = false; }
        })();
      }, WATCH_POLL_MS);
      call.on("cancelled", () => finish());
    })).then(
      () => call.end(),
      // grpc-js ends a server stream with a status when the stream emits "error".
      (e) => call.emit("error", toStatus(e, log, method)),
    );
  };
}

function reflectionHandler(protos: Protos) {
  return (call: ServerDuplexStream<Msg, unknown>) => {
    call.on("data", (req: Msg) => {
      const base = { valid_host: req.host ?? "", original_request: req };
      const files = (names: string[]) => ({
        ...base, file_descriptor_response: { file_descriptor_proto: names.map((n) => Buffer.from(protos.fileBytes.get(n)!)) },
      });
      const notFound = (what: string) => ({ ...base, error_response: { error_code: status.NOT_FOUND, error_message: `${what} not found` } });
      if (req.list_services !== undefined) {
        call.write({ ...base, list_services_response: { service: protos.serviceNames.map((name) => ({ name })) } });
      } else if (typeof req.file_by_filename === "string") {
        call.write(protos.fileBytes.has(req.file_by_filename) ? files(protos.withDependencies(req.file_by_filename)) : notFound("file"));
      } else if (typeof req.file_containing_symbol === "string") {
        const f = protos.fileOfSymbol(req.file_containing_symbol);
        call.write(f ? files(protos.withDependencies(f)) : notFound("symbol"));
      } else if (req.all_extension_numbers_of_type !== undefined) {
        const t = String(req.all_extension_numbers_of_type);
        call.write(protos.fileOfSymbol(t)
          ? { ...base, all_extension_numbers_response: { base_type_name: t, extension_number: [] } }
          : notFound("type"));
      } else if (req.file_containing_extension !== undefined) {
        call.write(notFound("extension"));
      } else {
        call.write({ ...base, error_response: { error_code: status.UNIMPLEMENTED, error_message: "unsupported request" } });
      }
    });
    call.on("end", () => call.end());
    call.on("error", () => call.end());
  };
}
