/**
 * The part of oidc-provider 9.13's API that src/oidc/ uses (the package ships no types;
 * @types/oidc-provider lags its major versions). Kept narrow on purpose.
 */
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  export interface KoaContextLike {
    oidc: {
      route?: string;
      client?: { clientId: string; clientName?: string; clientAuthMethod: string; redirectUris: string[] };
      session?: { accountId?: string };
      params?: Record<string, unknown>;
    };
    host: string;
    type: string;
    body: unknown;
    status: number;
  }

  export interface ClientLike {
    clientId: string;
    clientAuthMethod: string;
    redirectUris: string[];
    grantTypeAllowed(type: string): boolean;
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  }

  export interface AdapterLike {
    upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void>;
    find(id: string): Promise<Record<string, unknown> | undefined>;
    findByUserCode(code: string): Promise<Record<string, unknown> | undefined>;
    findByUid(uid: string): Promise<Record<string, unknown> | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface Configuration {
    adapter?: new (name: string) => AdapterLike;
    clients?: unknown[];
    jwks?: { keys: Record<string, string>[] };
    cookies?: {
      keys?: string[];
      names?: Record<string, string>;
      long?: Record<string, unknown>;
      short?: Record<string, unknown>;
    };
    findAccount?: (ctx: KoaContextLike, sub: string, token?: unknown) => Promise<Account | undefined>;
    claims?: Record<string, string[] | null>;
    scopes?: string[];
    features?: Record<string, unknown>;
    pkce?: { required?: (ctx: KoaContextLike, client: ClientLike) => boolean };
    ttl?: Record<string, number | ((...args: unknown[]) => number)>;
    interactions?: { policy?: unknown; url?: (ctx: KoaContextLike, interaction: { uid: string }) => string | Promise<string> };
    routes?: Record<string, string>;
    loadExistingGrant?: (ctx: KoaContextLike & { oidc: { provider: Provider } }) => Promise<unknown>;
    issueRefreshToken?: (ctx: KoaContextLike, client: ClientLike, code: unknown) => Promise<boolean> | boolean;
    clientBasedCORS?: (ctx: KoaContextLike, origin: string, client: ClientLike) => boolean;
    conformIdTokenClaims?: boolean;
    enabledJWA?: Record<string, string[]>;
    renderError?: (ctx: KoaContextLike, out: Record<string, string>, error: Error) => Promise<void> | void;
    responseTypes?: string[];
    clientDefaults?: Record<string, unknown>;
    rotateRefreshToken?: boolean | ((ctx: KoaContextLike) => boolean);
    allowOmittingSingleRegisteredRedirectUri?: boolean;
    [k: string]: unknown;
  }

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown> & { client_id?: string; scope?: string };
    session?: { accountId?: string; uid?: string };
    grantId?: string;
    lastSubmission?: Record<string, unknown>;
    exp: number;
    save(ttlSeconds: number): Promise<string>;
  }

  export class Grant {
    constructor(init: { accountId: string; clientId: string });
    readonly accountId: string;
    readonly clientId: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    save(): Promise<string>;
    static find(id: string): Promise<Grant | undefined>;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    proxy: boolean;
    Grant: typeof Grant;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionResult(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, opts?: { mergeWithLastSubmission?: boolean }): Promise<string>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
  export const errors: Record<string, new (...args: unknown[]) => Error>;

  export class Check {
    constructor(reason: string, description: string, check: (ctx: never) => boolean | Promise<boolean>);
    static REQUEST_PROMPT: true;
    static NO_NEED_TO_PROMPT: false;
  }
  export interface PromptLike { name: string; checks: Check[] }
  export interface PolicyLike extends Array<PromptLike> { get(name: string): PromptLike | undefined }
  export interface InteractionPolicyModule { base(): PolicyLike; Check: typeof Check }
  export const interactionPolicy: InteractionPolicyModule;
}
