/** Accounts: list with filters, create, and the detail page with every admin action. */
import type { AccountView } from "../../services/views";
import { accountDetailView, accountListView, type FormError, type NewAccountForm } from "../views/accounts";
import { AppError } from "../../errors";
import { fieldError } from "../layout";
import { may } from "../nav";
import { list, notice, str, type Route, type UiDeps } from "../routes";
import type { Rc } from "../http";
import { accountOnboardingSections } from "./onboarding";

const STATUSES = ["active", "inactive", "deleted"] as const;
const TYPES = ["human", "system"] as const;

export function accountRoutes(deps: UiDeps): Route[] {
  const { s } = deps;
  const back = (rc: Rc) => `/accounts/${encodeURIComponent(rc.params.id ?? "")}`;
  const done = (rc: Rc, key: string) => rc.redirect(`${back(rc)}?notice=${key}`);

  return [
    { method: "GET", path: "/accounts", handler: (rc) => listPage(rc) },
    {
      method: "POST", path: "/accounts", opts: { back: "/accounts" },
      handler: async (rc) => {
        const type = TYPES.find((x) => x === str(rc.form, "account_type")) ?? "human";
        const password = rc.form.get("password") ?? "";
        // Usernames are lower case: "Alice" is alice, not an error.
        const username = str(rc.form, "username").toLowerCase();
        const roles = str(rc.form, "roles");
        const email = type === "human" ? str(rc.form, "email") : "";
        const displayName = type === "human" ? str(rc.form, "display_name") : "";
        try {
          const a = await s.accounts.create(rc.ctx, {
            username, account_type: type, ...(password !== "" ? { password } : {}), roles: list(rc.form, "roles").map((r) => r.toLowerCase()),
            ...(email ? { email } : {}), ...(displayName ? { display_name: displayName } : {}),
          });
          return rc.redirect(`/accounts/${a.id}?notice=created`);
        } catch (e) {
          if (!(e instanceof AppError) || (e.code !== "bad_request" && e.code !== "conflict")) throw e;
          // The form again, with what was typed (never the password) and the reason beside the field.
          const err = fieldError(e.message, { username: /username/i, email: /email/i, display_name: /display.?name/i, password: /password|characters/i, roles: /role/i });
          return listPage(rc, { values: { username, account_type: type, roles, email, display_name: displayName }, errors: err, status: e.status });
        }
      },
    },
    {
      method: "GET", path: "/accounts/:id",
      handler: (rc) => {
        const a = s.accounts.get(rc.ctx, rc.params.id ?? "");
        return rc.render(a.username, detail(rc, a), { current: "/accounts", notice: notice(rc) });
      },
    },
    {
      method: "POST", path: "/accounts/:id/profile", opts: { back },
      handler: (rc) => {
        const display = str(rc.form, "display_name"), email = str(rc.form, "email");
        return refusedOr(rc, { field: "set-email", values: { "set-display-name": display, "set-email": email } },
          () => s.accounts.updateProfile(rc.ctx, rc.params.id ?? "", { email: email || null, display_name: display || null }), "profile");
      },
    },
    {
      method: "POST", path: "/accounts/:id/status", opts: { back },
      handler: (rc) => {
        const v = str(rc.form, "status");
        s.accounts.updateStatus(rc.ctx, rc.params.id ?? "", v === "inactive" ? "inactive" : "active");
        return done(rc, "status");
      },
    },
    {
      method: "POST", path: "/accounts/:id/delete", opts: { back },
      handler: (rc) => {
        s.accounts.delete(rc.ctx, rc.params.id ?? "");
        return rc.redirect("/accounts?notice=deleted");
      },
    },
    {
      method: "POST", path: "/accounts/:id/password", opts: { back },
      handler: async (rc) => {
        return refusedOr(rc, { field: "reset-password", values: {} }, () => s.accounts.setPassword(rc.ctx, rc.params.id ?? "", rc.form.get("password") ?? ""), "password_reset");
      },
    },
    {
      method: "POST", path: "/accounts/:id/totp/remove", opts: { back },
      handler: (rc) => {
        s.accounts.removeTotp(rc.ctx, rc.params.id ?? "");
        return done(rc, "totp_removed");
      },
    },
    {
      method: "POST", path: "/accounts/:id/roles", opts: { back },
      handler: (rc) => {
        const role = str(rc.form, "role").toLowerCase();
        return refusedOr(rc, { field: "grant-role", values: { "grant-role": role } }, () => s.accounts.grantRole(rc.ctx, rc.params.id ?? "", role), "roles");
      },
    },
    {
      method: "POST", path: "/accounts/:id/roles/revoke", opts: { back },
      handler: (rc) => {
        s.accounts.revokeRole(rc.ctx, rc.params.id ?? "", str(rc.form, "role"));
        return done(rc, "roles");
      },
    },
    {
      method: "POST", path: "/accounts/:id/tags", opts: { back },
      handler: (rc) => {
        return refusedOr(rc, { field: "set-tags", values: { "set-tags": str(rc.form, "tags") } }, () => s.accounts.setTags(rc.ctx, rc.params.id ?? "", list(rc.form, "tags")), "tags");
      },
    },
    {
      method: "POST", path: "/accounts/:id/tokens/revoke", opts: { back },
      handler: (rc) => {
        s.tokens.revoke(rc.ctx, str(rc.form, "jti"));
        return done(rc, "token_revoked");
      },
    },
  ];

  /** The list, its filters and the new-account form (again with what was typed and why it was refused). */
  function listPage(rc: Rc, form?: NewAccountForm) {
    const q = rc.url.searchParams;
    const status = STATUSES.find((x) => x === q.get("status"));
    const type = TYPES.find((x) => x === q.get("type"));
    const rows = s.accounts.list(rc.ctx, { status, account_type: type });
    const canCreate = may(s, rc.principal, "accounts:create", "account");
    return rc.render("Accounts", accountListView({ rows, csrf: rc.csrf, status, type, mayCreate: canCreate, form }),
      { current: "/accounts", notice: form ? null : notice(rc), status: form?.status });
  }

  /**
   * Runs a detail-page form's action: done → back with the notice; refused (bad input,
   * conflict) → the same page again, the reason beside the field, the input kept.
   */
  async function refusedOr(rc: Rc, at: Omit<FormError, "message">, action: () => unknown, noticeKey: string): Promise<Response> {
    try {
      await action();
    } catch (e) {
      if (!(e instanceof AppError) || (e.code !== "bad_request" && e.code !== "conflict")) throw e;
      const a = s.accounts.get(rc.ctx, rc.params.id ?? "");
      const { message } = fieldError(e.message, {});
      return rc.render(a.username, detail(rc, a, { ...at, message }), { current: "/accounts", status: e.status });
    }
    return done(rc, noticeKey);
  }

  function detail(rc: Rc, a: AccountView, error?: FormError) {
    const p = rc.principal;
    const can = (action: Parameters<typeof may>[2]) => may(s, p, action, "account", a.id);
    const tokens = may(s, p, "tokens:read", "account", a.id) ? s.tokens.list(rc.ctx, a.id) : null;
    const canRevoke = may(s, p, "tokens:revoke", "token", a.id);
    return accountDetailView({
      account: a, csrf: rc.csrf, tokens, error,
      may: {
        update: can("accounts:update"), delete: can("accounts:delete"), roles: can("roles:write"), tags: can("tags:write"),
        removeTotp: can("totp:remove"), revokeTokens: canRevoke,
      },
      onboarding: accountOnboardingSections(deps, rc, a),
    });
  }
}
