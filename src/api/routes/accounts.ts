/** /v1/accounts: administration of accounts, passwords, TOTP, roles and tags. */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { authPlugin } from "../plugins/auth";
import { Account, IdParams, responses } from "../../schemas/common";
import {
  CreateAccountBody, GrantRoleBody, ListAccountsQuery, RoleParams, Roles, SetPasswordBody, Tags, TokenInfo, UpdateAccountBody,
} from "../../schemas/accounts";

export const accountRoutes = (s: Services) =>
  new Elysia({ prefix: "/v1/accounts", detail: { tags: ["accounts"] } })
    .use(authPlugin(s))
    .post("", async ({ ctx, body, set }) => {
      const a = await s.accounts.create(ctx, body);
      set.status = 201;
      return a;
    }, { auth: true, parse: "json", body: CreateAccountBody, detail: { summary: "Create an account (admin)" }, response: responses({ 201: Account }) })
    .get("", ({ ctx, query }) => s.accounts.list(ctx, query), {
      auth: true, query: ListAccountsQuery,
      detail: { summary: "List accounts (deleted ones only with ?status=deleted)" },
      response: responses({ 200: t.Array(Account) }),
    })
    .get("/:id", ({ ctx, params }) => s.accounts.get(ctx, params.id), {
      auth: true, params: IdParams, detail: { summary: "Read an account" }, response: responses({ 200: Account }),
    })
    .patch("/:id", ({ ctx, params, body }) => {
      let a = s.accounts.get(ctx, params.id);
      if (body.email !== undefined || body.display_name !== undefined) {
        a = s.accounts.updateProfile(ctx, params.id, { email: body.email, display_name: body.display_name });
      }
      if (body.status !== undefined) a = s.accounts.updateStatus(ctx, params.id, body.status);
      return a;
    }, {
      auth: true, params: IdParams, parse: "json", body: UpdateAccountBody,
      detail: { summary: "Change status (inactive revokes every token), email or display name (null clears)" }, response: responses({ 200: Account }),
    })
    .delete("/:id", ({ ctx, params, set }) => {
      s.accounts.delete(ctx, params.id);
      set.status = 204;
    }, {
      auth: true, params: IdParams, detail: { summary: "Soft-delete; tokens revoked, username stays reserved" },
      response: responses({ 204: t.Void() }),
    })
    .put("/:id/password", async ({ ctx, params, body, set }) => {
      await s.accounts.setPassword(ctx, params.id, body.password);
      set.status = 204;
    }, {
      auth: true, params: IdParams, parse: "json", body: SetPasswordBody,
      detail: { summary: "Reset a password (admin); every token revoked" }, response: responses({ 204: t.Void() }),
    })
    .delete("/:id/totp", ({ ctx, params, set }) => {
      s.accounts.removeTotp(ctx, params.id);
      set.status = 204;
    }, { auth: true, params: IdParams, detail: { summary: "Remove TOTP (admin)" }, response: responses({ 204: t.Void() }) })
    .get("/:id/roles", ({ ctx, params }) => ({ roles: s.accounts.getRoles(ctx, params.id) }), {
      auth: true, params: IdParams, detail: { summary: "List roles" }, response: responses({ 200: Roles }),
    })
    .put("/:id/roles", ({ ctx, params, body }) => ({ roles: s.accounts.setRoles(ctx, params.id, body.roles) }), {
      auth: true, params: IdParams, parse: "json", body: Roles, detail: { summary: "Replace roles" }, response: responses({ 200: Roles }),
    })
    .post("/:id/roles", ({ ctx, params, body }) => ({ roles: s.accounts.grantRole(ctx, params.id, body.role) }), {
      auth: true, params: IdParams, parse: "json", body: GrantRoleBody, detail: { summary: "Grant a role" }, response: responses({ 200: Roles }),
    })
    .delete("/:id/roles/:role", ({ ctx, params }) => ({ roles: s.accounts.revokeRole(ctx, params.id, params.role) }), {
      auth: true, params: RoleParams, detail: { summary: "Revoke a role" }, response: responses({ 200: Roles }),
    })
    .get("/:id/tags", ({ ctx, params }) => ({ tags: s.accounts.getTags(ctx, params.id) }), {
      auth: true, params: IdParams, detail: { summary: "List tags" }, response: responses({ 200: Tags }),
    })
    .put("/:id/tags", ({ ctx, params, body }) => ({ tags: s.accounts.setTags(ctx, params.id, body.tags) }), {
      auth: true, params: IdParams, parse: "json", body: Tags, detail: { summary: "Replace tags" }, response: responses({ 200: Tags }),
    })
    .get("/:id/tokens", ({ ctx, params }) => s.tokens.list(ctx, params.id), {
      auth: true, params: IdParams, detail: { summary: "Token history of an account" },
      response: responses({ 200: t.Array(TokenInfo) }),
    });
