/** /v1/accounts/{id}/token…: a system account's token and its delegates. */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { authPlugin } from "../plugins/auth";
import { IdParams, responses } from "../../schemas/common";
import { Grant, GrantBody, GranteeParams, IssuedServiceToken } from "../../schemas/serviceAccounts";
import { AudienceBody } from "../../schemas/auth";

export const serviceAccountRoutes = (s: Services) =>
  new Elysia({ prefix: "/v1/accounts", detail: { tags: ["service accounts"] } })
    .use(authPlugin(s))
    .post("/:id/token", ({ ctx, params, body }) => s.serviceAccounts.issueToken(ctx, params.id, body ?? {}), {
      auth: true, params: IdParams, body: t.Optional(AudienceBody),
      detail: { summary: "Issue a system account's token; its previous token is revoked (admin, role-named human, delegate)" },
      response: responses({ 200: IssuedServiceToken }),
    })
    .get("/:id/token/delegates", ({ ctx, params }) => s.serviceAccounts.listDelegates(ctx, params.id), {
      auth: true, params: IdParams, detail: { summary: "List the humans who may manage this system account's token (admin)" },
      response: responses({ 200: t.Array(Grant) }),
    })
    .post("/:id/token/delegates", ({ ctx, params, body, set }) => {
      const r = s.serviceAccounts.grantDelegate(ctx, params.id, body.grantee_id);
      set.status = r.created ? 201 : 200;
      return r.grant;
    }, {
      auth: true, params: IdParams, parse: "json", body: GrantBody,
      detail: { summary: "Let a human issue and revoke this system account's token (admin); 200 if already a delegate" },
      response: responses({ 200: Grant, 201: Grant }),
    })
    .delete("/:id/token/delegates/:grantee_id", ({ ctx, params, set }) => {
      s.serviceAccounts.revokeDelegate(ctx, params.id, params.grantee_id);
      set.status = 204;
    }, {
      auth: true, params: GranteeParams, detail: { summary: "Remove a delegate (admin); effective on the next request" },
      response: responses({ 204: t.Void() }),
    });
