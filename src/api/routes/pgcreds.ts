/** Postgres credentials of system accounts and their metadata-access grants. */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { authPlugin } from "../plugins/auth";
import { IdParams, responses } from "../../schemas/common";
import { PgCred, PgCredListItem, SetPgCredBody } from "../../schemas/pgcreds";
import { Grant, GrantBody, GranteeParams } from "../../schemas/serviceAccounts";

export const pgcredRoutes = (s: Services) =>
  new Elysia({ detail: { tags: ["pgcreds"] } })
    .use(authPlugin(s))
    .get("/v1/pgcreds", ({ ctx }) => s.pgcreds.list(ctx), {
      auth: true, detail: { summary: "Metadata of every Postgres credential the caller may read (never passwords)" },
      response: responses({ 200: t.Array(PgCredListItem) }),
    })
    .get("/v1/accounts/:id/pgcreds", ({ ctx, params }) => s.pgcreds.get(ctx, params.id), {
      auth: true, params: IdParams,
      detail: { summary: "Read a system account's Postgres credentials; grantees get them without the password; audited" },
      response: responses({ 200: PgCred }),
    })
    .put("/v1/accounts/:id/pgcreds", ({ ctx, params, body, set }) => {
      s.pgcreds.set(ctx, params.id, body);
      set.status = 204;
    }, {
      auth: true, params: IdParams, parse: "json", body: SetPgCredBody,
      detail: { summary: "Store a system account's Postgres credentials (admin); password sealed under the master key" },
      response: responses({ 204: t.Void() }),
    })
    .get("/v1/accounts/:id/pgcreds/access", ({ ctx, params }) => s.pgcreds.listGrants(ctx, params.id), {
      auth: true, params: IdParams, detail: { summary: "Who may read this credential's metadata" },
      response: responses({ 200: t.Array(Grant) }),
    })
    .post("/v1/accounts/:id/pgcreds/access", ({ ctx, params, body, set }) => {
      const r = s.pgcreds.grant(ctx, params.id, body.grantee_id);
      set.status = r.created ? 201 : 200;
      return r.grant;
    }, {
      auth: true, params: IdParams, parse: "json", body: GrantBody,
      detail: { summary: "Let another account read this credential's metadata (never the password); 200 if already granted" },
      response: responses({ 200: Grant, 201: Grant }),
    })
    .delete("/v1/accounts/:id/pgcreds/access/:grantee_id", ({ ctx, params, set }) => {
      s.pgcreds.revokeGrant(ctx, params.id, params.grantee_id);
      set.status = 204;
    }, {
      auth: true, params: GranteeParams, detail: { summary: "Withdraw a metadata-access grant" },
      response: responses({ 204: t.Void() }),
    });
