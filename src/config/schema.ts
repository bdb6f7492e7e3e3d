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
  rateLimit: {
    login: Bucket;
    validate: Bucket;
    unseal: Bucket;
  };
  /** Where the config came from, for messages; "embedded default" for the dev instance. */
  source: string;
  /** True for the zero-setup development instance. */
  dev: boolean;
}

export interface Bucket {
  /** Tokens added per second. */
  rate: number;
  burst: number;
}

/** Floors from SPEC §2: Argon2id never below m=19 MiB, t=2. */
export const ARGON2_MIN_MEMORY_KIB = 19456;
export const ARGON2_MIN_TIME = 2;
