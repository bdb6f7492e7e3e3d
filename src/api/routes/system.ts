/** Health, public keys, vault state. */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { authPlugin } from "../plugins/auth";
import { Closed, responses } from "../../schemas/common";
import type { Limiters } from "../../http/limiters";
import { rateLimitPlugin } from "../plugins/rateLimit";

const Jwk = t.Object({
  kty: t.Literal("OKP"), crv: t.Literal("Ed25519"), x: t.String(), kid: t.String(), use: t.Literal("sig"), alg: t.Literal("EdDSA"),
}, { ...Closed, title: "JWK" });
const VaultStatus = t.Object({ sealed: t.Boolean() }, { ...Closed, title: "VaultStatus" });

export const systemRoutes = (s: Services, limiters: Limiters) =>
  new Elysia()
    .use(authPlugin(s))
    .use(rateLimitPlugin(limiters, s.id))
    .get("/v1/health", ({ set }) => {
      if (s.vault.isSealed()) {
        set.status = 503;
        return { status: "sealed" as const };
      }
      return { status: "ok" as const };
    }, {
      detail: { tags: ["system"], summary: "Liveness; 503 while sealed", security: [] },
      response: { 200: t.Object({ status: t.Literal("ok") }, Closed), 503: t.Object({ status: t.Literal("sealed") }, Closed) },
    })
    .get("/v1/keys/public", () => s.tokens.publicJwk(), {
      detail: { tags: ["system"], summary: "The token-signing public key as a JWK", security: [] },
      response: responses({ 200: Jwk }),
    })
    .get("/.well-known/jwks.json", () => ({ keys: [s.tokens.publicJwk()] }), {
      detail: { tags: ["system"], summary: "JWK Set for local token verification", security: [] },
      response: responses({ 200: t.Object({ keys: t.Array(Jwk) }, Closed) }),
    })
    .get("/v1/vault/status", () => s.vault.status(), {
      detail: { tags: ["vault"], summary: "Whether the vault is sealed", security: [] },
      response: { 200: VaultStatus },
    })
    .post("/v1/vault/unseal", ({ body, anon }) => s.vault.unseal(anon, body.passphrase), {
      parse: "json", rateLimit: "unseal", body: t.Object({ passphrase: t.String({ minLength: 1, maxLength: 1024 }) }, { ...Closed, title: "UnsealRequest" }),
      detail: { tags: ["vault"], summary: "Unseal with the passphrase (rate limited per IP)", security: [] },
      response: responses({ 200: t.Object({ sealed: t.Literal(false) }, Closed) }),
    })
    .post("/v1/vault/seal", ({ ctx }) => s.vault.seal(ctx), {
      auth: true,
      detail: { tags: ["vault"], summary: "Seal the vault (admin); the key is wiped from memory" },
      response: responses({ 200: t.Object({ sealed: t.Literal(true) }, Closed) }),
    });
