/**
 * Config validation in Authelia's shape: one validator per section, each problem
 * reported as "section.key: what is wrong". Unknown keys are errors.
 */
import { isAbsolute, resolve } from "node:path";
import { isIP } from "node:net";
import { parseDuration } from "./duration";
import { ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME, type Bucket, type Config } from "./schema";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type Table = Record<string, unknown>;

const SECTIONS: Record<string, readonly string[]> = {
  server: ["listen_addr", "tls_cert", "tls_key", "trusted_proxies", "grpc_addr", "metrics_addr", "workers"],
  database: ["path"],
  tokens: ["issuer", "default_expiry", "admin_expiry", "service_expiry", "max_session"],
  argon2: ["time", "memory"],
  lockout: ["max_failures", "window", "duration"],
  master_key: ["passphrase_env", "keyfile"],
  oidc: ["code_ttl", "access_token_ttl", "id_token_ttl", "refresh_token_ttl", "session_ttl"],
  accounts: ["invite_ttl"],
  webauthn: ["rp_id", "rp_name", "origins"],
  sso: ["cookie_domain", "portal_url", "apps"],
  rate_limit: [
    "login_rate", "login_burst", "validate_rate", "validate_burst", "unseal_rate", "unseal_burst",
  ],
};
const REQUIRED_SECTIONS = ["server", "database", "tokens", "master_key"];

class Section {
  constructor(readonly name: string, readonly t: Table) {}
  key(k: string) { return `${this.name}.${k}`; }
  has(k: string) { return this.t[k] !== undefined; }

  string(k: string, opts: { required?: boolean; fallback?: string } = {}): string | undefined {
    const v = this.t[k];
    if (v === undefined) {
      if (opts.required && opts.fallback === undefined) throw new ConfigError(`${this.key(k)}: missing`);
      return opts.fallback;
    }
    if (typeof v !== "string") throw new ConfigError(`${this.key(k)}: must be a string`);
    if (v.trim() === "") throw new ConfigError(`${this.key(k)}: must not be empty`);
    return v;
  }

  int(k: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.t[k];
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v)) throw new ConfigError(`${this.key(k)}: must be an integer`);
    if (v < min) throw new ConfigError(`${this.key(k)}: must be at least ${min}`);
    if (v > max) throw new ConfigError(`${this.key(k)}: must be at most ${max}`);
    return v;
  }

  num(k: string, fallback: number, min: number): number {
    const v = this.t[k];
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new ConfigError(`${this.key(k)}: must be a number`);
    if (v < min) throw new ConfigError(`${this.key(k)}: must be at least ${min}`);
    return v;
  }

  duration(k: string, fallback: string): number {
    const v = this.string(k, { fallback });
    const ms = parseDuration(v!);
    if (ms === null) throw new ConfigError(`${this.key(k)}: cannot parse duration "${v}" (use e.g. 720h, 15m, 90s)`);
    return ms;
  }

  stringArray(k: string): string[] {
    const v = this.t[k];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      throw new ConfigError(`${this.key(k)}: must be an array of strings`);
    }
    return v as string[];
  }
}

function section(root: Table, name: string): Section {
  const v = root[name];
  if (v === undefined) {
    if (REQUIRED_SECTIONS.includes(name)) throw new ConfigError(`${name}: missing section`);
    return new Section(name, {});
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ConfigError(`${name}: must be a table`);
  const allowed = SECTIONS[name]!;
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) throw new ConfigError(`${name}.${k}: unknown key`);
  }
  return new Section(name, v as Table);
}

export function parseHostPort(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65535) return null;
  if (m[1] !== undefined && isIP(host) !== 6) return null;
  return { host, port };
}

function validateProxy(entry: string, key: string): string {
  const [addr, bits, ...rest] = entry.split("/");
  const fam = isIP(addr ?? "");
  const ok = rest.length === 0 && fam !== 0 &&
    (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (fam === 4 ? 32 : 128)));
  if (!ok) throw new ConfigError(`${key}: "${entry}" is not an IP address or CIDR`);
  return entry;
}

/**
 * `tokens.issuer` is the `iss` of every token and (for OIDC) the discovery base: an
 * absolute https URL without query or fragment (http only for a loopback host).
 */
function validateIssuer(v: string): string {
  const bad = (why: string) => new ConfigError(`tokens.issuer: "${v}" ${why} (e.g. "https://auth.example.com")`);
  let u: URL;
  try { u = new URL(v); } catch { throw bad("is not a URL"); }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
  if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback)) throw bad("must be an https:// URL");
  if (!u.hostname) throw bad("has no host");
  if (u.search || u.hash || v.includes("#") || v.includes("?")) throw bad("must not have a query or fragment");
  if (u.username || u.password) throw bad("must not carry credentials");
  return v;
}

/** Validates a parsed TOML document. `baseDir` anchors relative paths (the config file's folder). */
export function validateConfig(doc: Table, baseDir: string, source: string): Config {
  for (const k of Object.keys(doc)) {
    if (!(k in SECTIONS)) throw new ConfigError(`${k}: unknown section`);
  }
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));

  const server = section(doc, "server");
  const listen = server.string("listen_addr", { required: true })!;
  const hp = parseHostPort(listen);
  if (!hp) throw new ConfigError(`server.listen_addr: "${listen}" is not a host:port`);
  const grpc = server.string("grpc_addr");
  if (grpc !== undefined && !parseHostPort(grpc)) throw new ConfigError(`server.grpc_addr: "${grpc}" is not a host:port`);
  const metricsText = server.string("metrics_addr");
  const metricsAddr = metricsText === undefined ? undefined : parseHostPort(metricsText);
  if (metricsAddr === null) throw new ConfigError(`server.metrics_addr: "${metricsText}" is not a host:port`);
  const tlsCert = path(server.string("tls_cert", { required: true })!);
  const tlsKey = path(server.string("tls_key", { required: true })!);
  const trustedProxies = server.stringArray("trusted_proxies").map((e) => validateProxy(e, "server.trusted_proxies"));
  const workers = server.int("workers", 1, 1, 64);

  const database = section(doc, "database");
  const dbPath = path(database.string("path", { required: true })!);

  const tokens = section(doc, "tokens");
  const issuer = validateIssuer(tokens.string("issuer", { required: true })!);

  const argon2 = section(doc, "argon2");
  const time = argon2.int("time", 3, ARGON2_MIN_TIME, 100);
  const memory = argon2.int("memory", 65536, ARGON2_MIN_MEMORY_KIB, 4 * 1024 * 1024);

  const lockout = section(doc, "lockout");

  const mk = section(doc, "master_key");
  const passphraseEnv = mk.string("passphrase_env");
  const keyfile = mk.string("keyfile");
  if (passphraseEnv !== undefined && keyfile !== undefined) {
    throw new ConfigError("master_key: set exactly one of passphrase_env and keyfile, not both");
  }
  if (passphraseEnv === undefined && keyfile === undefined) {
    throw new ConfigError("master_key: set exactly one of passphrase_env and keyfile (neither is set)");
  }
  if (passphraseEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(passphraseEnv)) {
    throw new ConfigError(`master_key.passphrase_env: "${passphraseEnv}" is not an environment variable name`);
  }

  const oidc = validateOidc(section(doc, "oidc"));
  const accounts = section(doc, "accounts");
  const inviteTtlMs = accounts.duration("invite_ttl", "72h");
  if (inviteTtlMs < 1_000) throw new ConfigError("accounts.invite_ttl: must be at least 1s");
  if (inviteTtlMs > 90 * 24 * 3_600_000) throw new ConfigError("accounts.invite_ttl: must be at most 2160h (90 days)");

  const webauthn = validateWebauthn(section(doc, "webauthn"), issuer);
  const sso = validateSso(section(doc, "sso"), issuer);

  const rl = section(doc, "rate_limit");
  const bucket = (name: string, rate: number, burst: number): Bucket => ({
    rate: rl.num(`${name}_rate`, rate, 0.001),
    burst: rl.int(`${name}_burst`, burst, 1),
  });

  return {
    server: {
      listenHost: hp.host,
      listenPort: hp.port,
      tlsCert,
      tlsKey,
      trustedProxies,
      grpcAddr: grpc,
      metricsAddr,
      workers,
    },
    database: { path: dbPath },
    tokens: {
      issuer,
      defaultExpiryMs: tokens.duration("default_expiry", "720h"),
      adminExpiryMs: tokens.duration("admin_expiry", "8h"),
      serviceExpiryMs: tokens.duration("service_expiry", "8760h"),
      maxSessionMs: tokens.duration("max_session", "720h"),
    },
    argon2: { time, memoryKiB: memory },
    lockout: {
      maxFailures: lockout.int("max_failures", 10, 1),
      windowMs: lockout.duration("window", "15m"),
      durationMs: lockout.duration("duration", "15m"),
    },
    masterKey: { passphraseEnv, keyfile: keyfile === undefined ? undefined : path(keyfile) },
    accounts: { inviteTtlMs },
    webauthn,
    rateLimit: {
      login: bucket("login", 10, 10),
      validate: bucket("validate", 1000, 2000),
      unseal: bucket("unseal", 3, 5),
    },
    oidc,
    sso,
    source,
    dev: false,
  };
}

/** [oidc]: lifetimes of the OpenID Connect provider's artifacts (SPEC §16). */
function validateOidc(o: Section): Config["oidc"] {
  const bounded = (k: string, fallback: string, minMs: number, maxMs: number): number => {
    const ms = o.duration(k, fallback);
    if (ms < minMs || ms > maxMs) throw new ConfigError(`${o.key(k)}: must be between ${minMs / 1000}s and ${maxMs / 3_600_000}h`);
    return ms;
  };
  const H = 3_600_000;
  return {
    codeTtlMs: bounded("code_ttl", "60s", 1000, 10 * 60_000),
    accessTokenTtlMs: bounded("access_token_ttl", "1h", 60_000, 24 * H),
    idTokenTtlMs: bounded("id_token_ttl", "1h", 60_000, 24 * H),
    refreshTokenTtlMs: bounded("refresh_token_ttl", "720h", 60_000, 8760 * H),
    sessionTtlMs: bounded("session_ttl", "720h", 60_000, 8760 * H),
  };
}

/**
 * [webauthn]: the relying party. Defaults follow tokens.issuer (the public URL of
 * MCIAS): rp_id = its host name, origins = [its origin]. The dev instance's issuer is
 * https://localhost:8443, so passkeys work there out of the box. An IP address can
 * never be an RP ID (WebAuthn refuses it), so https://127.0.0.1 cannot use passkeys.
 */
function validateWebauthn(w: Section, issuer: string): Config["webauthn"] {
  let issuerUrl: URL | null = null;
  try { issuerUrl = new URL(issuer); } catch { /* checked below only when defaults are needed */ }
  // An issuer that is not an https URL gives no useful default: fall back to localhost.
  if (issuerUrl && (issuerUrl.protocol !== "https:" || isIP(issuerUrl.hostname.replace(/^\[|\]$/g, "")) !== 0)) issuerUrl = null;
  const rpId = w.string("rp_id") ?? issuerUrl?.hostname ?? "localhost";
  if (isIP(rpId) !== 0) throw new ConfigError(`webauthn.rp_id: "${rpId}" is an IP address; WebAuthn needs a domain name (e.g. localhost)`);
  if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/.test(rpId)) {
    throw new ConfigError(`webauthn.rp_id: "${rpId}" is not a lower-case domain name`);
  }
  const rpName = w.string("rp_name") ?? "MCIAS";
  if (rpName.length > 64) throw new ConfigError("webauthn.rp_name: must be at most 64 characters");
  const given = w.has("origins") ? w.stringArray("origins") : [issuerUrl && issuerUrl.hostname === rpId ? issuerUrl.origin : `https://${rpId}`];
  if (given.length === 0) throw new ConfigError("webauthn.origins: must list at least one origin");
  const origins = given.map((o) => {
    let u: URL;
    try { u = new URL(o); } catch { throw new ConfigError(`webauthn.origins: "${o}" is not a URL`); }
    if (u.origin !== o.replace(/\/$/, "")) throw new ConfigError(`webauthn.origins: "${o}" must be an origin (scheme://host[:port], no path)`);
    if (u.protocol !== "https:") throw new ConfigError(`webauthn.origins: "${o}" must use https`);
    const host = u.hostname;
    if (host !== rpId && !host.endsWith(`.${rpId}`)) throw new ConfigError(`webauthn.origins: "${o}" is not on webauthn.rp_id ${rpId} or a subdomain of it`);
    return u.origin;
  });
  return { rpId, rpName, origins };
}

const HOST_RE = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const APP_KEYS = ["host", "name", "roles", "paths"];

/** [sso]: cookie_domain, portal_url, [[sso.apps]] (SPEC §16). */
function validateSso(sec: Section, issuer: string): Config["sso"] {
  let cookieDomain = sec.string("cookie_domain");
  if (cookieDomain !== undefined) {
    const bare = cookieDomain.replace(/^\./, "").toLowerCase();
    // A public suffix alone ("com") would share the session with the whole TLD.
    if (!HOST_RE.test(bare) || !bare.includes(".")) {
      throw new ConfigError(`sso.cookie_domain: "${cookieDomain}" is not a domain like ".example.com"`);
    }
    cookieDomain = bare;
  }
  // Default: the issuer (tokens.issuer is validated as a URL on its own; an explicit
  // portal_url is checked here).
  const explicit = sec.string("portal_url");
  const portal = explicit ?? issuer;
  let portalUrl: URL | null = null;
  try {
    portalUrl = new URL(portal);
  } catch {
    if (explicit !== undefined) throw new ConfigError(`sso.portal_url: "${portal}" is not a URL`);
  }
  if (explicit !== undefined && portalUrl?.protocol !== "https:") throw new ConfigError(`sso.portal_url: "${portal}" must be an https URL`);
  const raw = sec.t.apps;
  if (raw !== undefined && (!Array.isArray(raw) || raw.some((a) => typeof a !== "object" || a === null || Array.isArray(a)))) {
    throw new ConfigError("sso.apps: must be an array of tables ([[sso.apps]])");
  }
  const apps = ((raw ?? []) as Table[]).map((a, i) => {
    const key = `sso.apps[${i}]`;
    for (const k of Object.keys(a)) if (!APP_KEYS.includes(k)) throw new ConfigError(`${key}.${k}: unknown key`);
    const s = new Section(key, a);
    const host = s.string("host", { required: true })!.toLowerCase();
    if (!HOST_RE.test(host)) throw new ConfigError(`${key}.host: "${host}" is not a host name`);
    if (cookieDomain !== undefined && host !== cookieDomain && !host.endsWith(`.${cookieDomain}`)) {
      throw new ConfigError(`${key}.host: "${host}" is not under sso.cookie_domain "${cookieDomain}": the session cookie would not reach it`);
    }
    const roles = s.stringArray("roles");
    for (const r of roles) if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(r)) throw new ConfigError(`${key}.roles: "${r}" is not a role name`);
    const paths = s.stringArray("paths");
    for (const p of paths) if (!p.startsWith("/") || /[\s?#]/.test(p)) throw new ConfigError(`${key}.paths: "${p}" is not a path prefix like "/admin"`);
    return { host, name: s.string("name") ?? host, roles, paths };
  });
  return { cookieDomain, portalUrl: portalUrl?.origin ?? portal, apps };
}
