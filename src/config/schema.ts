/** The validated configuration: every duration in ms, every path absolute. */
export interface Config {
  server: {
    listenHost: string;
    listenPort: number;
    tlsCert: string;
    tlsKey: string;
    trustedProxies: string[];
    grpcAddr?: string;
    /** Plain-HTTP Prometheus endpoint (SPEC §19); absent = off. */
    metricsAddr?: { host: string; port: number };
    /** HTTP serving threads on one port (SO_REUSEPORT); 1 = no worker threads. */
    workers: number;
  };
  database: { path: string };
  tokens: {
    issuer: string;
    defaultExpiryMs: number;
    adminExpiryMs: number;
    serviceExpiryMs: number;
    /** Absolute human session lifetime from auth_time (SPEC §18); admins: min(this, 3 × adminExpiryMs). */
    maxSessionMs: number;
  };
  argon2: { time: number; memoryKiB: number };
  lockout: { maxFailures: number; windowMs: number; durationMs: number };
  masterKey: { passphraseEnv?: string; keyfile?: string };
  /** SPEC §15: how long an invite/reset link stays valid. */
  accounts: { inviteTtlMs: number };
  /** SPEC §15: the WebAuthn relying party (passkeys and security keys). */
  webauthn: {
    /** The RP ID: a registrable domain (never an IP address); credentials are bound to it. */
    rpId: string;
    rpName: string;
    /** Every origin (scheme://host[:port]) a ceremony may come from. */
    origins: string[];
  };
  rateLimit: {
    login: Bucket;
    validate: Bucket;
    unseal: Bucket;
  };
  /** OpenID Connect provider lifetimes (SPEC §16); every key optional. */
  oidc: {
    codeTtlMs: number;
    accessTokenTtlMs: number;
    idTokenTtlMs: number;
    refreshTokenTtlMs: number;
    sessionTtlMs: number;
  };
  /** SPEC §16: the portal session and the apps behind forward-auth. */
  sso: {
    /** Parent domain for the console session cookie (".example.com"); absent = host-only cookie. */
    cookieDomain?: string;
    /** Where browsers are sent to sign in (https URL of this server); default tokens.issuer. */
    portalUrl: string;
    apps: SsoApp[];
  };
  /** Where the config came from, for messages; "embedded default" for the dev instance. */
  source: string;
  /** True for the zero-setup development instance. */
  dev: boolean;
}

/** One `[[sso.apps]]` entry: an app behind the reverse proxy. */
export interface SsoApp {
  /** Lower-case host name, without port. */
  host: string;
  /** Shown on the dashboard; default the host. */
  name: string;
  /** Holding any one opens the app; empty = any account. */
  roles: string[];
  /** Path prefixes this entry covers; empty = the whole host. The longest match wins. */
  paths: string[];
}

export interface Bucket {
  /** Tokens added per second. */
  rate: number;
  burst: number;
}

/** Floors from SPEC §2: Argon2id never below m=19 MiB, t=2. */
export const ARGON2_MIN_MEMORY_KIB = 19456;
export const ARGON2_MIN_TIME = 2;
