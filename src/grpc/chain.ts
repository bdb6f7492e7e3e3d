/**
 * The interceptor chain of SPEC §13, in this order around every call:
 *   sealed → request log → auth → per-IP rate limit → handler.
 * Each interceptor is a function of the call and the rest of the chain; the chain is
 * composed once per RPC. The handler itself only converts messages and calls services.
 */
import { status, type Metadata } from "@grpc/grpc-js";
import { bearerToken } from "../http/bearer";
import { AppError } from "../errors";
import type { LimiterName, Limiters } from "../http/limiters";
import type { Logger } from "../log";
import type { Ctx, Services } from "../services";
import { GRPC_STATUS } from "./errors";

/** One RPC's declaration: who may call it and which bucket it draws from. */
export interface RpcRule {
  /** Requires `authorization: Bearer <jwt>` metadata (the same verification as REST). */
  auth: boolean;
  /** The REST per-IP limiter this call shares (login, validate, unseal). */
  limiter?: LimiterName;
  /** Served while the vault is sealed (Health, vault status and unseal, reflection). */
  openWhileSealed?: boolean;
  /** Not logged per call (health checks and reflection would drown the log). */
  quiet?: boolean;
}

/** What the interceptors know about a call. `ctx` is set by auth (or anonymous). */
export interface CallInfo {
  method: string;
  ip: string | null;
  metadata: Metadata;
  ctx: Ctx;
  /** The bearer token, kept so a long stream can re-check it; never logged. */
  token?: string;
}

export type Next = () => Promise<unknown>;
export type Interceptor = (call: CallInfo, rule: RpcRule, next: Next) => Promise<unknown>;

/** "127.0.0.1:5000", "[::1]:5000", "ipv4:…" → the address alone. */
export function peerIp(peer: string): string | null {
  const p = peer.replace(/^ipv[46]:/, "");
  const b = /^\[([^\]]+)\]:\d+$/.exec(p);
  if (b) return b[1]!;
  const i = p.lastIndexOf(":");
  if (i > 0 && p.indexOf(":") === i) return p.slice(0, i);
  return p === "" ? null : p;
}

export function grpcStatusOf(e: unknown): status {
  if (e instanceof AppError) return e.code === "conflict" && e.duplicate ? status.ALREADY_EXISTS : GRPC_STATUS[e.code];
  return status.INTERNAL;
}

export function createInterceptors(s: Services, limiters: Limiters, log: Logger): Interceptor[] {
  const sealed: Interceptor = (_call, rule, next) => {
    if (!rule.openWhileSealed && s.vault.status().sealed) return Promise.reject(new AppError("vault_sealed", "vault is sealed"));
    return next();
  };
  const requestLog: Interceptor = async (call, rule, next) => {
    const started = performance.now();
    let code: status = status.OK;
    try {
      return await next();
    } catch (e) {
      code = grpcStatusOf(e);
      throw e;
    } finally {
      if (!rule.quiet || code !== status.OK) {
        // Method, peer, status, duration: never a metadata value or a message field.
        log.info("grpc", { method: call.method, status: status[code] ?? String(code), ms: Math.round((performance.now() - started) * 10) / 10, ip: call.ip });
      }
    }
  };
  const auth: Interceptor = async (call, rule, next) => {
    if (!rule.auth) return next();
    const values = call.metadata.get("authorization");
    // Exactly one "Bearer <jwt>" value, checked by the same function as REST's header.
    const token = bearerToken(values.length === 1 && typeof values[0] === "string" ? values[0] : null);
    call.ctx = { ip: call.ip, principal: await s.tokens.authenticate(token) };
    call.token = token;
    return next();
  };
  const rateLimit: Interceptor = (call, rule, next) => {
    if (rule.limiter) limiters.check(rule.limiter, call.ip);
    return next();
  };
  return [sealed, requestLog, auth, rateLimit];
}

/** Runs `handler` inside the chain. */
export function runChain(chain: Interceptor[], call: CallInfo, rule: RpcRule, handler: Next): Promise<unknown> {
  const at = (i: number): Promise<unknown> => {
    const icpt = chain[i];
    if (!icpt) return handler();
    try {
      return icpt(call, rule, () => at(i + 1));
    } catch (e) {
      return Promise.reject(e);
    }
  };
  return at(0);
}
