/** OpenID Connect client and grant schemas (SPEC §16). */
import { t } from "elysia";
import { Closed, RoleName, Time } from "./common";

const Uri = t.String({ minLength: 1, maxLength: 2000, description: "absolute https URL (http only for localhost), no fragment" });
const Alg = t.Union([t.Literal("EdDSA"), t.Literal("RS256"), t.Literal("ES256")], { description: "ID token signing algorithm; EdDSA by default" });

export const OidcClient = t.Object({
  id: t.String({ description: "the client_id" }),
  name: t.String(),
  redirect_uris: t.Array(t.String()),
  post_logout_redirect_uris: t.Array(t.String()),
  public: t.Boolean({ description: "true: no secret, PKCE (S256) required" }),
  allowed_roles: t.Array(t.String(), { description: "only accounts holding one of these may sign in; empty = any active human" }),
  id_token_alg: Alg,
  created_at: Time,
  updated_at: Time,
}, { ...Closed, title: "OidcClient" });

export const OidcClientWithSecret = t.Object({
  client: OidcClient,
  client_secret: t.Union([t.String(), t.Null()], { description: "shown once; null for a public client" }),
}, { ...Closed, title: "OidcClientCreated" });

export const OidcClientSecret = t.Object({
  client: OidcClient,
  client_secret: t.String({ description: "shown once; the previous secret stops working" }),
}, { ...Closed, title: "OidcClientSecret" });

export const CreateOidcClientBody = t.Object({
  name: t.String({ minLength: 1, maxLength: 128 }),
  redirect_uris: t.Array(Uri, { minItems: 1, maxItems: 20 }),
  post_logout_redirect_uris: t.Optional(t.Array(Uri, { maxItems: 20 })),
  public: t.Optional(t.Boolean()),
  allowed_roles: t.Optional(t.Array(RoleName, { maxItems: 64 })),
  id_token_alg: t.Optional(Alg),
}, { ...Closed, title: "CreateOidcClientRequest" });

export const UpdateOidcClientBody = t.Object({
  name: t.Optional(t.String({ minLength: 1, maxLength: 128 })),
  redirect_uris: t.Optional(t.Array(Uri, { minItems: 1, maxItems: 20 })),
  post_logout_redirect_uris: t.Optional(t.Array(Uri, { maxItems: 20 })),
  allowed_roles: t.Optional(t.Array(RoleName, { maxItems: 64 })),
  id_token_alg: t.Optional(Alg),
}, { ...Closed, title: "UpdateOidcClientRequest" });

export const OidcClientParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64, description: "client_id" }) }, Closed);

export const OidcGrant = t.Object({
  grant_id: t.String(),
  client_id: t.String(),
  client_name: t.String(),
  created_at: t.Union([Time, t.Null()]),
  expires_at: t.Union([Time, t.Null()]),
}, { ...Closed, title: "OidcGrant" });

export const OidcGrantParams = t.Object({ id: t.String({ minLength: 1, maxLength: 128, description: "grant_id" }) }, Closed);
