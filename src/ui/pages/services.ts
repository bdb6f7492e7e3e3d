/**
 * Service (system) accounts: issue a token (shown once), token list, delegates,
 * Postgres credentials and their access grants. Also the /pgcreds overview.
 */
import { AppError } from "../../errors";
import type { Ctx } from "../../services";
import type { AccountView } from "../../services/views";
import { issuedTokenView, pgcredListView, pgcredView, serviceDetailView, serviceListView } from "../views/services";
import type { FormError } from "../views/accounts";
import { fieldError } from "../layout";
import type { Rc } from "../http";
import { may } from "../nav";
import { notice, str, type Route, type UiDeps } from "../routes";


export function serviceRoutes({ s }: UiDeps): Route[] {
  const back = (rc: Rc) => `/services/${encodeURIComponent(rc.params.id ?? "")}`;
  const done = (rc: Rc, key: string) => rc.redirect(`${back(rc)}?notice=${key}`);

  /** A grantee named by id or username (a username lookup needs accounts:read on it). */
  function granteeId(ctx: Ctx, input: string): string {
    return s.accounts.resolve(ctx, input);
  }

  /** The system accounts this caller may manage: all (for who may list accounts) or those named by its roles. */
  function manageable(rc: Rc): AccountView[] {
    return s.serviceAccounts.listManageable(rc.ctx);
  }

  /**
   * Runs a detail-page form's action: done → back with the notice; refused (bad input,
   * conflict, an unknown grantee) → the same page again, the reason beside the field
   * (`fields` picks it by the message), the input kept.
   */
  async function refusedOr(rc: Rc, at: Omit<FormError, "message">, action: () => unknown, noticeKey: string, fields: Record<string, RegExp> = {}): Promise<Response> {
    try {
      await action();
    } catch (e) {
      if (!(e instanceof AppError) || !["bad_request", "conflict", "not_found"].includes(e.code)) throw e;
      const a = s.accounts.get(rc.ctx, rc.params.id ?? "");
      const found = fieldError(e.message, fields);
      return rc.render(a.username, detail(rc, a, { ...at, field: found.field ?? at.field, message: found.message }), { current: "/services", status: e.status });
    }
    return done(rc, noticeKey);
  }

  function detail(rc: Rc, a: AccountView, error?: FormError) {
    const base = `/services/${a.id}`;
    const p = rc.principal;
    const live = a.status === "active";
    const tryGet = <T>(f: () => T): T | null => {
      try { return f(); } catch (e) { if (e instanceof AppError && (e.code === "forbidden" || e.code === "not_found")) return null; throw e; }
    };
    // One question per button and section, answered by the policy engine (nav.ts `may`).
    const can = (action: Parameters<typeof may>[2], type: Parameters<typeof may>[3]) => may(s, p, action, type, a.id);
    const tokens = can("tokens:read", "account") ? tryGet(() => s.tokens.list(rc.ctx, a.id)) : null;
    const canIssue = live && can("tokens:issue", "token");
    const canRevoke = can("tokens:revoke", "token");
    const delegates = can("delegates:read", "account") ? tryGet(() => s.serviceAccounts.listDelegates(rc.ctx, a.id)) : null;
    const canReadCred = can("pgcreds:read", "pgcreds") || can("pgcreds:read_metadata", "pgcreds");
    const canReadPassword = can("pgcreds:read", "pgcreds");
    const cred = canReadCred ? s.pgcreds.list(rc.ctx).find((c) => c.account_id === a.id) ?? null : null;
    const grants = can("pgcreds:grant", "pgcreds") ? tryGet(() => s.pgcreds.listGrants(rc.ctx, a.id)) : null;
    const canWrite = can("pgcreds:write", "pgcreds");
    const canAdminDelegates = can("delegates:write", "account");
    return serviceDetailView({
      account: a, csrf: rc.csrf, tokens, delegates, grants, cred, error,
      may: {
        issue: canIssue, revoke: canRevoke, readCred: canReadCred, readPassword: canReadPassword, writeCred: canWrite,
        adminDelegates: canAdminDelegates, settings: can("accounts:update", "account"),
      },
    });
  }

  return [
    {
      method: "GET", path: "/services",
      handler: (rc) => {
        const rows = manageable(rc);
        return rc.render("Service accounts", serviceListView(rows, may(s, rc.principal, "accounts:create", "account")), { current: "/services", notice: notice(rc) });
      },
    },
    {
      method: "GET", path: "/services/:id",
      handler: (rc) => {
        const a = s.accounts.get(rc.ctx, rc.params.id ?? "");
        if (a.account_type !== "system") return rc.redirect(`/accounts/${a.id}`);
        return rc.render(a.username, detail(rc, a), { current: "/services", notice: notice(rc) });
      },
    },
    {
      method: "POST", path: "/services/:id/token", opts: { back },
      handler: async (rc) => {
        const t = await s.serviceAccounts.issueToken(rc.ctx, rc.params.id ?? "");
        const a = s.accounts.get(rc.ctx, rc.params.id ?? "");
        const dl = s.tokenHandoff.offer(rc.ctx, t, { id: a.id, username: a.username });
        return rc.render("New token", issuedTokenView(a, t, dl), { current: "/services" });
      },
    },
    {
      // The one-time download offered beside the copy button (issue 13 defect 9).
      method: "GET", path: "/token/download/:nonce",
      handler: (rc) => {
        const { token, filename } = s.tokenHandoff.take(rc.ctx, rc.params.nonce ?? "");
        const headers = new Headers({
          "content-type": "text/plain; charset=utf-8",
          "content-disposition": `attachment; filename="${filename.replace(/[^a-z0-9._-]/g, "_")}"`,
          "cache-control": "no-store",
        });
        for (const c of rc.cookies) headers.append("set-cookie", c);
        return new Response(`${token}\n`, { headers });
      },
    },
    {
      method: "POST", path: "/services/:id/tokens/revoke", opts: { back },
      handler: (rc) => {
        s.tokens.revoke(rc.ctx, str(rc.form, "jti"));
        return done(rc, "token_revoked");
      },
    },
    {
      method: "POST", path: "/services/:id/delegates", opts: { back },
      handler: (rc) => {
        const g = str(rc.form, "grantee");
        return refusedOr(rc, { field: "delegate-grantee", values: { "delegate-grantee": g } },
          () => s.serviceAccounts.grantDelegate(rc.ctx, rc.params.id ?? "", granteeId(rc.ctx, g)), "delegate_added");
      },
    },
    {
      method: "POST", path: "/services/:id/delegates/revoke", opts: { back },
      handler: (rc) => {
        s.serviceAccounts.revokeDelegate(rc.ctx, rc.params.id ?? "", str(rc.form, "grantee_id"));
        return done(rc, "delegate_removed");
      },
    },
    {
      method: "GET", path: "/services/:id/pgcreds", opts: { back },
      handler: (rc) => {
        const id = rc.params.id ?? "";
        const c = s.pgcreds.get(rc.ctx, id);
        return rc.render("Postgres credentials", pgcredView(id, c), { current: "/pgcreds" });
      },
    },
    {
      method: "POST", path: "/services/:id/pgcreds", opts: { back },
      handler: (rc) => {
        const port = Number(str(rc.form, "port"));
        const values = { "pg-host": str(rc.form, "host"), "pg-port": str(rc.form, "port"), "pg-database": str(rc.form, "database"), "pg-username": str(rc.form, "username") };
        return refusedOr(rc, { field: "pg-host", values }, () => s.pgcreds.set(rc.ctx, rc.params.id ?? "", {
          host: values["pg-host"], port: Number.isInteger(port) ? port : -1, database: values["pg-database"],
          username: values["pg-username"], password: rc.form.get("password") ?? "",
        }), "pgcreds_saved", { "pg-port": /port/i, "pg-database": /database/i, "pg-username": /user/i, "pg-password": /password/i, "pg-host": /host/i });
      },
    },
    {
      method: "POST", path: "/services/:id/pgcreds/access", opts: { back },
      handler: (rc) => {
        const g = str(rc.form, "grantee");
        return refusedOr(rc, { field: "grant-grantee", values: { "grant-grantee": g } },
          () => s.pgcreds.grant(rc.ctx, rc.params.id ?? "", granteeId(rc.ctx, g)), "grant_added");
      },
    },
    {
      method: "POST", path: "/services/:id/pgcreds/access/revoke", opts: { back },
      handler: (rc) => {
        s.pgcreds.revokeGrant(rc.ctx, rc.params.id ?? "", str(rc.form, "grantee_id"));
        return done(rc, "grant_removed");
      },
    },
    {
      method: "GET", path: "/pgcreds",
      handler: (rc) => {
        const rows = s.pgcreds.list(rc.ctx);
        return rc.render("Postgres credentials", pgcredListView(rows), { current: "/pgcreds", notice: notice(rc) });
      },
    },
  ];
}
