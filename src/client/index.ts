/**
 * `@mcias/client`: the TypeScript client for the MCIAS REST API.
 *
 * ```ts
 * const mcias = new McIasClient({ serverUrl: "https://auth.example.com", caCert });
 * await mcias.login("alice", password);
 * const me = await mcias.me();
 * ```
 */
export { McIasClient, type McIasClientOptions } from "./client";
export {
  McIasError, ApiError, BadRequestError, UnauthorizedError, ForbiddenError, NotFoundError,
  ConflictError, PayloadTooLargeError, RateLimitedError, VaultSealedError, InternalServerError,
  TransportError,
} from "./errors";
export type * from "./types";
