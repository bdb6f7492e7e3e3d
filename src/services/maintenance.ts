/**
 * Break-glass use cases behind `mcias db` (SPEC §10) that the REST API does not have:
 * account recovery, revoking every token, pruning, online backup and master-key
 * rotation. Only the operator (OPERATOR_CTX) may call them. Where an API use case
 * already exists (password, status, roles) it is called, not copied.
 */
import { MIN_MASTER_PASSPHRASE } from "./limits";
import { timingSafeEqual } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, writeSync } from "node:fs";
import { open, seal } from "../crypto/aead";
import { DEFAULT_KDF_PARAMS, deriveMasterKey } from "../crypto/kdf";
import { randomBytes, randomPassword } from "../crypto/random";
import { AppError, assertThat } from "../errors";
import { BackupError } from "../store/maintenance";
import { KeyfileError, readKeyfile } from "../vault/masterKey";
import type { AccountService } from "./accounts";
import type { AuditService } from "./audit";
import { totpAad } from "./auth";
import { clientSecretAad, oidcKeyAad } from "./oidcProvider";
import { iso, type ServiceDeps } from "./deps";
import { type Ctx } from "./principal";
import { pgcredAad } from "./pgcreds";
import { HANDOFF_KIND } from "./tokenHandoff";
import { KEY_CHECK_AAD, KEY_CHECK_PLAINTEXT, SIGNING_KEY_AAD, WrongMasterKeyError } from "./vault";
import type { AccountView } from "./views";

export { MIN_MASTER_PASSPHRASE } from "./limits";

export type RekeyTarget =
  | { kind: "keyfile"; key: Buffer; path: string }
  | { kind: "passphrase"; passphrase: string };

/**
 * Batched prune (issue 23). Measured on the 2-core CI machine kind with 1M token rows
 * (shared with other work): deleting a token row costs ~15–50 µs (four b-trees: the
 * table, the jti key, by account, by expiry — random pages). Committing without fsync,
 * a batch of 500 rows holds the write lock ~8 ms (median; p99 ~20 ms), 1,000 rows ~16 ms
 * (p99 23–56 ms); 500 leaves the most room under the 100 ms goal on a loaded machine,
 * for ~12k rows/s instead of ~16k. A writer of the server that waits meanwhile retries
 * (SQLite's busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25 … ms) within 25 ms of the
 * lock coming free, so the pause between batches is at least 25 ms and at least as long
 * as the batch held the lock.
 */
export const PRUNE_BATCH_ROWS = 500;
export const PRUNE_MIN_BATCH_ROWS = 50;
export const PRUNE_BATCH_BUDGET_MS = 25;
export const PRUNE_MIN_PAUSE_MS = 25;

export interface PruneOptions {
  /** Most rows per batch (default PRUNE_BATCH_ROWS). */
  batchSize?: number;
  /** Target time one batch holds the write lock; the next batch shrinks when one ran longer. */
  batchBudgetMs?: number;
  /** Least pause between batches (0 = none: tests). */
  pauseMs?: number;
  /** Stop after the current batch (Ctrl-C): the rows deleted so far are audited as incomplete. */
  signal?: AbortSignal;
}

export interface PruneResult { deleted: number; oidc_rows: number; batches: number; complete: boolean }

export interface RekeyResult { kid: string; totp_secrets: number; pgcreds: number; to: "keyfile" | "passphrase" }

export function createMaintenanceService(deps: ServiceDeps, audit: AuditService, accounts: AccountService) {
  const { store, vault, clock } = deps;
  const now = () => iso(clock.now());

  function requireOperator(ctx: Ctx): void {
    if (!ctx.operator) throw new AppError("forbidden", "only the mcias db operator may do this");
  }

  function loadAccount(id: string) {
    const row = store.accounts.get(id);
    assertThat(row, "not_found", "account not found");
    return row;
  }

  return {
    /**
     * The way back in when every admin is locked out: a new random password (returned
     * once, never stored in clear), tokens revoked and lockout cleared (setPassword),
     * status active, optionally `admin` granted and TOTP removed. A deleted account is
     * refused: deletion is final in MCIAS (no API undeletes), so recovery creates a new
     * account instead of silently resurrecting an old one.
     */
    async recover(ctx: Ctx, id: string, opts: { admin?: boolean; resetTotp?: boolean } = {}): Promise<{ password: string; account: AccountView }> {
      requireOperator(ctx);
      const row = loadAccount(id);
      if (row.status === "deleted") {
        throw new AppError("conflict", "account is deleted; deleted accounts are not restored: create a new account (mcias db account create) and grant it admin");
      }
      if (row.account_type !== "human") throw new AppError("bad_request", "system accounts have no password; issue a new token instead");
      const password = randomPassword();
      // Password first: it revokes every old token before the account is (re)activated.
      await accounts.setPassword(ctx, id, password);
      if (opts.resetTotp && row.totp_enabled === 1) accounts.removeTotp(ctx, id);
      if (loadAccount(id).status !== "active") accounts.updateStatus(ctx, id, "active");
      if (opts.admin && !store.accounts.roles(id).includes("admin")) accounts.grantRole(ctx, id, "admin");
      return { password, account: accounts.get(ctx, id) };
    },

    /** Revokes every live token of an account (any status); returns how many. */
    revokeAllTokens(ctx: Ctx, id: string): number {
      requireOperator(ctx);
      const row = loadAccount(id);
      return store.tx(() => {
        const revoked = store.tokens.revokeAllFor(id, now(), "revoked");
        if (revoked.length) audit.record(ctx, "token_revoked", { id: row.id, username: row.username }, { all: true, count: revoked.length });
        return revoked.length;
      });
    },

    /**
     * Deletes the rows of expired tokens, then expired OpenID Connect rows (codes, tokens,
     * sessions, grants: already refused), in bounded batches, each its own short
     * transaction, pausing between them so a running server's writers (logins,
     * revocations, audit rows) take the write lock in between instead of waiting for one
     * long DELETE. Batches commit without fsync and checkpoint outside the lock
     * (store.maintenance.bulkDeleteMode); then ONE `tokens_pruned` audit row with the
     * totals commits with fsync, which puts every batch before it on disk too. A prune
     * that deletes nothing writes no row; one stopped early (`signal`, or an error after
     * some batches committed) writes its row with `incomplete: true`. Bulk mode applies
     * to everything the connection commits meanwhile: call it on a connection of its own
     * (`mcias db`), never on a serving one.
     */
    async pruneTokens(ctx: Ctx, opts: PruneOptions = {}): Promise<PruneResult> {
      requireOperator(ctx);
      const maxRows = opts.batchSize ?? PRUNE_BATCH_ROWS;
      const budget = opts.batchBudgetMs ?? PRUNE_BATCH_BUDGET_MS;
      const minPause = opts.pauseMs ?? PRUNE_MIN_PAUSE_MS;
      if (!Number.isInteger(maxRows) || maxRows < 1) throw new AppError("bad_request", "batch size must be a positive integer");
      const cutoffMs = clock.now();
      const cutoff = iso(cutoffMs);
      // Expired WebAuthn challenges and token downloads (migration 0005): already refused, a small table, one statement.
      store.pending.pruneExpired(cutoffMs);
      const done: PruneResult = { deleted: 0, oidc_rows: 0, batches: 0, complete: false };
      const steps: [key: "deleted" | "oidc_rows", batch: (limit: number) => number][] = [
        ["deleted", (limit) => store.tokens.pruneExpiredBatch(cutoff, limit)],
        ["oidc_rows", (limit) => store.oidc.payloads.pruneExpiredBatch(cutoffMs, limit)],
      ];
      const least = Math.min(PRUNE_MIN_BATCH_ROWS, maxRows);
      let rows = maxRows;
      const restore = store.maintenance.bulkDeleteMode();
      const record = () => {
        if (done.deleted + done.oidc_rows === 0) return;
        store.tx(() => audit.record(ctx, "tokens_pruned", null, {
          deleted: done.deleted, expired_before: cutoff, oidc_rows: done.oidc_rows, batches: done.batches,
          ...(done.complete ? {} : { incomplete: true }),
        }));
      };
      try {
        steps: for (const [key, batch] of steps) {
          for (;;) {
            if (opts.signal?.aborted) break steps;
            const t0 = performance.now();
            const n = store.tx(() => batch(rows));
            const held = performance.now() - t0;
            done[key] += n;
            done.batches++;
            store.maintenance.checkpoint();
            if (n < rows) break;
            // Keep the lock held about `budget` ms on a slow or loaded machine: fewer rows
            // next time when a batch ran long, back up towards the maximum when it was quick.
            rows = Math.min(maxRows, Math.max(least, Math.floor((rows * budget) / Math.max(held, 1))));
            // At least as long as the lock was held: a writer whose busy handler backed off
            // while it waited still finds the lock free when it retries.
            if (minPause > 0) await Bun.sleep(Math.max(minPause, held));
          }
        }
        done.complete = !opts.signal?.aborted;
      } catch (e) {
        // What did commit stays on record, even when a later batch failed (e.g. SQLITE_BUSY).
        restore();
        try { record(); } catch { /* the original error is the one to report */ }
        throw e;
      }
      restore();
      record();
      return done;
    },

    /** A consistent online copy (see store.maintenance.backupTo); audited in the live database. */
    backup(ctx: Ctx, path: string): { bytes: number } {
      requireOperator(ctx);
      let out: { bytes: number };
      try {
        out = store.maintenance.backupTo(path);
      } catch (e) {
        if (e instanceof BackupError) throw new AppError("conflict", e.message);
        throw e;
      }
      store.tx(() => audit.record(ctx, "backup_created", null, { path, bytes: out.bytes }));
      return out;
    },

    /**
     * The key a `rekey --new-keyfile PATH` moves to: an existing keyfile is read (and
     * refused when group/world-accessible or malformed); a missing one is created 0600
     * with 32 random bytes (base64) and flushed to disk before any secret moves, so a
     * crash can never leave the database under a key that exists nowhere.
     */
    prepareKeyfile(ctx: Ctx, path: string): { key: Buffer; created: boolean } {
      requireOperator(ctx);
      if (existsSync(path)) {
        try {
          return { key: readKeyfile(path), created: false };
        } catch (e) {
          if (e instanceof KeyfileError) throw new AppError("bad_request", e.message);
          throw e;
        }
      }
      const key = randomBytes(32);
      let fd: number;
      try {
        fd = openSync(path, "wx", 0o600);
      } catch (e) {
        throw new AppError("bad_request", `cannot create keyfile ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
      }
      try {
        writeSync(fd, key.toString("base64") + "\n");
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return { key, created: true };
    },

    /**
     * Moves every value sealed under the current master key (key check, signing key,
     * TOTP secrets, Postgres passwords) to a new key in ONE transaction: it commits
     * completely or not at all. The signing key itself is unchanged (same kid), so
     * issued tokens stay valid. The caller must hold the database exclusively: a running
     * server would keep sealing new values with the old key.
     */
    async rekey(ctx: Ctx, target: RekeyTarget): Promise<RekeyResult> {
      requireOperator(ctx);
      const oldKey = vault.masterKey();
      let newKey: Buffer;
      let kdf: { salt: Buffer; params: string } | null = null;
      if (target.kind === "passphrase") {
        if ([...target.passphrase].length < MIN_MASTER_PASSPHRASE) {
          throw new AppError("bad_request", `the new passphrase must be at least ${MIN_MASTER_PASSPHRASE} characters`);
        }
        // A fresh salt: the new key shares nothing with the old derivation.
        kdf = { salt: randomBytes(16), params: JSON.stringify(DEFAULT_KDF_PARAMS) };
        newKey = await deriveMasterKey(target.passphrase, kdf.salt, DEFAULT_KDF_PARAMS);
      } else {
        newKey = Buffer.from(target.key);
      }
      if (newKey.length !== 32) throw new AppError("bad_request", "the new master key must be 32 bytes");
      if (timingSafeEqual(newKey, oldKey)) throw new AppError("bad_request", "the new master key is the current one");

      const move = (blob: Uint8Array, aad: string, what: string): Buffer => {
        let plain: Buffer;
        try {
          plain = open(oldKey, blob, aad);
        } catch {
          throw new AppError("conflict", `cannot decrypt ${what} with the current master key; nothing was changed`);
        }
        try {
          return seal(newKey, plain, aad);
        } finally {
          plain.fill(0);
        }
      };

      try {
        return store.tx(() => {
          const t = now();
          const cfg = store.serverConfig.get();
          if (!cfg?.key_check || !cfg.signing_key_enc || !cfg.signing_key_jwk) {
            throw new AppError("conflict", "the database has no master key yet (start the server once first)");
          }
          try {
            open(oldKey, cfg.key_check, KEY_CHECK_AAD);
          } catch {
            throw new WrongMasterKeyError();
          }
          store.serverConfig.setKeyCheck(seal(newKey, Buffer.from(KEY_CHECK_PLAINTEXT), KEY_CHECK_AAD), t);
          store.serverConfig.setSigningKey(move(cfg.signing_key_enc, SIGNING_KEY_AAD, "the signing key"), cfg.signing_key_jwk, t);

          const totpRows = store.maintenance.totpBlobs();
          let totp = 0;
          for (const r of totpRows) {
            const what = `the TOTP secret of account ${r.id}`;
            const secret = r.totp_secret_enc ? move(r.totp_secret_enc, totpAad(r.id), what) : null;
            const pending = r.totp_pending_enc ? move(r.totp_pending_enc, totpAad(r.id), `the pending ${what}`) : null;
            store.maintenance.setTotpBlobs(r.id, secret, pending);
            totp += (secret ? 1 : 0) + (pending ? 1 : 0);
          }
          const creds = store.pgcreds.all();
          for (const c of creds) {
            store.pgcreds.setPasswordEnc(c.account_id, move(c.password_enc, pgcredAad(c.account_id), `the Postgres password of account ${c.account_id}`));
          }
          // OpenID Connect signing/cookie keys and client secrets (migration 0004).
          const oidcKeys = store.oidc.keys.list();
          for (const k of oidcKeys) store.oidc.keys.setPrivate(k.kid, move(k.private_enc, oidcKeyAad(k.kid), `the OIDC key ${k.kid}`));
          const oidcSecrets = store.oidc.clients.secrets();
          for (const c of oidcSecrets) store.oidc.clients.setSecret(c.id, move(c.secret_enc, clientSecretAad(c.id), `the secret of OIDC client ${c.id}`));
          // Token downloads in flight are sealed under the old key: dropped (5-minute, single-use;
          // the server is stopped for a rekey, and the token can be issued again).
          store.pending.clearKind(HANDOFF_KIND);
          if (kdf) store.serverConfig.setKdf(kdf.salt, kdf.params, t);
          else store.maintenance.clearKdf(t);

          // Read everything back under the new key before committing.
          const after = store.serverConfig.get()!;
          open(newKey, after.key_check!, KEY_CHECK_AAD);
          open(newKey, after.signing_key_enc!, SIGNING_KEY_AAD).fill(0);
          for (const r of store.maintenance.totpBlobs()) {
            if (r.totp_secret_enc) open(newKey, r.totp_secret_enc, totpAad(r.id)).fill(0);
            if (r.totp_pending_enc) open(newKey, r.totp_pending_enc, totpAad(r.id)).fill(0);
          }
          for (const c of store.pgcreds.all()) open(newKey, c.password_enc, pgcredAad(c.account_id)).fill(0);
          for (const k of store.oidc.keys.list()) open(newKey, k.private_enc, oidcKeyAad(k.kid)).fill(0);
          for (const c of store.oidc.clients.secrets()) open(newKey, c.secret_enc, clientSecretAad(c.id)).fill(0);

          const kid = (JSON.parse(cfg.signing_key_jwk) as { kid: string }).kid;
          const result: RekeyResult = { kid, totp_secrets: totp, pgcreds: creds.length, to: target.kind };
          audit.record(ctx, "master_key_rotated", null, { to: target.kind, kid, totp_secrets: totp, pgcreds: creds.length, oidc_keys: oidcKeys.length, oidc_client_secrets: oidcSecrets.length });
          return result;
        });
      } finally {
        newKey.fill(0);
      }
    },
  };
}

export type MaintenanceService = ReturnType<typeof createMaintenanceService>;
