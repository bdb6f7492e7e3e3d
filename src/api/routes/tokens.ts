/** /v1/token: validation and revocation. */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { authPlugin } from "../plugins/auth";
import type { Limiters } from "../../http/limiters";
import { rateLimitPlugin } from "../plugins/rateLimit";
import { Closed, responses } from "../../schemas/common";
import { ValidateBody, ValidateResponse } from "../../schemas/auth";

export const tokenRoutes = (s: Services, limiters: Limiters) =>
  new Elysia({ prefix: "/v1/token", detail: { tags: ["tokens"] } })
    .use(authPlugin(s))
    .use(rateLimitPlugin(limiters, s.id))
    .post("/validate", ({ body }) => {
      return s.tokens.validate(body.token, body.audience);
    }, {
      parse: "json", body: ValidateBody, rateLimit: "validate",
      detail: { summary: "Check a token: signature, claims, revocation and account status", security: [] },
      response: responses({ 200: ValidateResponse }),
    })
    .delete("/:jti", ({ ctx, params, set }) => {
      s.tokens.revoke(ctx, params.jti);
      set.status = 204;
    }, {
      auth: true,
      params: t.Object({ jti: t.String({ maxLength: 64 }) }, Closed),
      detail: { summary: "Revoke a token (admin, or who may manage its account)" },
      response: responses({ 204: t.Void() }),
    });
