/** `mcias ctl oidc client …`: relying parties of the OpenID Connect provider (admin, SPEC §16). */
import { UsageError } from "../run";
import type { CreateOidcClientRequest, IdTokenAlg, OidcClient, OidcClientWithSecret, UpdateOidcClientRequest } from "../../client/types";
import { group, leaf, list, makeClient, need, output, printRecord, printTable } from "./common";

const ALGS = ["EdDSA", "RS256", "ES256"];
const clientId = { id: { type: "string", required: true, description: "The client_id" } } as const;
const fields = {
  name: { type: "string", description: "Display name (shown on the dashboard and the logout page)" },
  "redirect-uris": { type: "string", description: "Comma-separated redirect URIs (https; http only for localhost)" },
  "post-logout-uris": { type: "string", description: "Comma-separated post-logout redirect URIs" },
  "allowed-roles": { type: "string", description: "Comma-separated roles; only accounts holding one may sign in (\"\" = anyone)" },
  alg: { type: "string", description: "ID token algorithm: EdDSA (default), RS256 or ES256" },
} as const;

function alg(v: unknown): IdTokenAlg | undefined {
  if (v === undefined) return undefined;
  if (!ALGS.includes(String(v))) throw new UsageError(`--alg must be one of ${ALGS.join(", ")}`);
  return String(v) as IdTokenAlg;
}

const printClient = (c: OidcClient) => printRecord({
  id: c.id, name: c.name, public: c.public, id_token_alg: c.id_token_alg, redirect_uris: c.redirect_uris.join(", "),
  post_logout_redirect_uris: c.post_logout_redirect_uris.join(", ") || "-", allowed_roles: c.allowed_roles.join(", ") || "(any account)",
  created_at: c.created_at, updated_at: c.updated_at,
});

const printWithSecret = (r: OidcClientWithSecret) => {
  printClient(r.client);
  if (r.client_secret) {
    console.log(`client_secret: ${r.client_secret}`);
    console.error("The client secret is shown only now: store it in the application's configuration.");
  } else {
    console.log("client_secret: (none: public client, PKCE S256 required)");
  }
};

const clientGroup = group("client",
  "Register and manage OpenID Connect relying parties (admin). Example: mcias ctl oidc client create --name Grafana " +
  "--redirect-uris https://grafana.example.com/login/generic_oauth --allowed-roles grafana --alg RS256", {
    create: leaf({
      name: "create", description: "Register a client; prints its client_secret once",
      args: { ...fields, public: { type: "boolean", description: "A public client (no secret; PKCE S256 required)" } },
      async run(args) {
        const body: CreateOidcClientRequest = {
          name: need(args, "name"), redirect_uris: list(need(args, "redirect-uris")),
          ...(args["post-logout-uris"] !== undefined ? { post_logout_redirect_uris: list(args["post-logout-uris"]) } : {}),
          ...(args["allowed-roles"] !== undefined ? { allowed_roles: list(args["allowed-roles"]) } : {}),
          ...(args.public ? { public: true } : {}),
          ...(args.alg !== undefined ? { id_token_alg: alg(args.alg) } : {}),
        };
        output(args, await makeClient(args).createOidcClient(body), printWithSecret);
      },
    }),
    list: leaf({
      name: "list", description: "List clients",
      async run(args) {
        output(args, await makeClient(args).listOidcClients(), (cs) => printTable(cs.map((c) => ({
          ...c, allowed_roles: c.allowed_roles.join(",") || "-", redirect_uris: c.redirect_uris.join(","),
        })), ["id", "name", "public", "id_token_alg", "allowed_roles", "redirect_uris"]));
      },
    }),
    get: leaf({
      name: "get", description: "Show one client", args: clientId,
      async run(args) { output(args, await makeClient(args).getOidcClient(String(args.id)), printClient); },
    }),
    update: leaf({
      name: "update", description: "Change a client's name, URIs, allowed roles or algorithm", args: { ...clientId, ...fields },
      async run(args) {
        const patch: UpdateOidcClientRequest = {
          ...(args.name !== undefined ? { name: String(args.name) } : {}),
          ...(args["redirect-uris"] !== undefined ? { redirect_uris: list(args["redirect-uris"]) } : {}),
          ...(args["post-logout-uris"] !== undefined ? { post_logout_redirect_uris: list(args["post-logout-uris"]) } : {}),
          ...(args["allowed-roles"] !== undefined ? { allowed_roles: list(args["allowed-roles"]) } : {}),
          ...(args.alg !== undefined ? { id_token_alg: alg(args.alg) } : {}),
        };
        if (Object.keys(patch).length === 0) throw new UsageError("nothing to change: give --name, --redirect-uris, --post-logout-uris, --allowed-roles or --alg");
        output(args, await makeClient(args).updateOidcClient(String(args.id), patch), printClient);
      },
    }),
    "rotate-secret": leaf({
      name: "rotate-secret", description: "Give a confidential client a new secret (printed once; the old one stops working)", args: clientId,
      async run(args) { output(args, await makeClient(args).rotateOidcClientSecret(String(args.id)), printWithSecret); },
    }),
    delete: leaf({
      name: "delete", description: "Delete a client and every session, grant and token issued to it", args: clientId,
      async run(args) {
        await makeClient(args).deleteOidcClient(String(args.id));
        if (!args.json) console.log(`client ${String(args.id)} deleted`);
      },
    }),
  });

/** `mcias ctl oidc`: the OpenID Connect provider. */
export const oidcGroup = group("oidc", "The OpenID Connect provider: relying parties (mcias ctl oidc client --help).", { client: clientGroup });
