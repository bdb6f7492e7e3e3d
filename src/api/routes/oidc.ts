/**
 * /v1/oidc: the OpenID Connect provider's client registry (admin; the secret is shown
 * once) and the caller's own grants (the apps they signed in to), revocable.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { authPlugin } from "../plugins/auth";
import { responses } from "../../schemas/common";
import {
  CreateOidcClientBody, OidcClient, OidcClientParams, OidcClientSecret, OidcClientWithSecret, OidcGrant, OidcGrantParams,
  UpdateOidcClientBody,
} from "../../schemas/oidc";

export const oidcRoutes = (s: Services) =>
  new Elysia({ prefix: "/v1/oidc", detail: { tags: ["oidc"] } })
    .use(authPlugin(s))
    .post("/clients", ({ ctx, body, set }) => {
      const r = s.oidc.clients.create(ctx, body);
      set.status = 201;
      set.headers["cache-control"] = "no-store";
      return r;
    }, {
      auth: true, parse: "json", body: CreateOidcClientBody,
      detail: { summary: "Register a relying party (admin); the client_secret is in this answer only" },
      response: responses({ 201: OidcClientWithSecret }),
    })
    .get("/clients", ({ ctx }) => s.oidc.clients.list(ctx), {
      auth: true, detail: { summary: "List relying parties (admin)" }, response: responses({ 200: t.Array(OidcClient) }),
    })
    .get("/clients/:id", ({ ctx, params }) => s.oidc.clients.get(ctx, params.id), {
      auth: true, params: OidcClientParams, detail: { summary: "Read a relying party (admin)" }, response: responses({ 200: OidcClient }),
    })
    .patch("/clients/:id", ({ ctx, params, body }) => s.oidc.clients.update(ctx, params.id, body), {
      auth: true, params: OidcClientParams, parse: "json", body: UpdateOidcClientBody,
      detail: { summary: "Change a relying party (admin)" }, response: responses({ 200: OidcClient }),
    })
    .delete("/clients/:id", ({ ctx, params, set }) => {
      s.oidc.clients.remove(ctx, params.id);
      set.status = 204;
    }, {
      auth: true, params: OidcClientParams,
      detail: { summary: "Delete a relying party and every session, grant and token issued to it (admin)" },
      response: responses({ 204: t.Void() }),
    })
    .post("/clients/:id/secret", ({ ctx, params, set }) => {
      set.headers["cache-control"] = "no-store";
      return s.oidc.clients.rotateSecret(ctx, params.id);
    }, {
      auth: true, params: OidcClientParams,
      detail: { summary: "New client secret, shown once; the old one stops working (admin)" },
      response: responses({ 200: OidcClientSecret }),
    })
    .get("/grants", ({ ctx }) => s.oidc.grants.mine(ctx), {
      auth: true, detail: { summary: "The caller's OIDC grants: the applications they signed in to" },
      response: responses({ 200: t.Array(OidcGrant) }),
    })
    .delete("/grants/:id", ({ ctx, params, set }) => {
      s.oidc.grants.revoke(ctx, params.id);
      set.status = 204;
    }, {
      auth: true, params: OidcGrantParams,
      detail: { summary: "Sign out of one application: its refresh and access tokens die" },
      response: responses({ 204: t.Void() }),
    });
