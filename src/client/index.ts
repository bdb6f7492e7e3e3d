/**
 * `@mcias/client`: the TypeScript client for the MCIAS REST API.
 *
 * ```ts
 * const mcias = new McIasClient({ serverUrl: "https://auth.example.com", caCert });
 * await mcias.login("alice", password);
 * const me = await mcias.me();
 * ```
 */
export { McIasClient, type McIasClientOptions, type McIasApi } from "./client";
/** The error classes every failed call throws (see each class). */
export {
  McIasError, ApiError, BadRequestError, UnauthorizedError, ForbiddenError, NotFoundError,
  ConflictError, PayloadTooLargeError, RateLimitedError, VaultSealedError, InternalServerError,
  TransportError,
} from "./errors";
/** Request and response types of every route. */
export type * from "./types";
