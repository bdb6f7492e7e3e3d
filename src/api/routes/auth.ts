/** /v1/auth: login and self-service. */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { authPlugin } from "../plugins/auth";
import type { Limiters } from "../../http/limiters";
import { rateLimitPlugin } from "../plugins/rateLimit";
import { Account, responses, TokenResponse } from "../../schemas/common";
import { RecoveryCodes } from "../../schemas/onboarding";
import { AudienceBody, ChangePasswordBody, LoginBody, StepUpBody, TotpConfirmBody, TotpEnrollResponse } from "../../schemas/auth";

export const authRoutes = (s: Services, limiters: Limiters) =>
  new Elysia({ prefix: "/v1/auth", detail: { tags: ["auth"] } })
    .use(authPlugin(s))
    .use(rateLimitPlugin(limiters, s.id))
    .post("/login", async ({ body, anon }) => {
      const r = await s.auth.login(anon, body);
      return { token: r.token, expires_at: r.expires_at };
    }, {
      parse: "json", body: LoginBody, rateLimit: "login",
      detail: { summary: "Log in with username, password and (if enrolled) a TOTP code", security: [] },
      response: responses({ 200: TokenResponse }),
    })
    .post("/logout", ({ ctx, set }) => {
      s.auth.logout(ctx);
      set.status = 204;
    }, { auth: true, detail: { summary: "Revoke the presented token" }, response: responses({ 204: t.Void() }) })
    .post("/renew", async ({ ctx, body }) => {
      const r = await s.auth.renew(ctx, body ?? {});
      return { token: r.token, expires_at: r.expires_at };
    }, {
      auth: true, body: t.Optional(AudienceBody),
      detail: { summary: "Exchange the presented token for a fresh one (same session: never past tokens.max_session; same audience)" },
      response: responses({ 200: TokenResponse }),
    })
    .get("/me", ({ ctx }) => s.auth.me(ctx), {
      auth: true, detail: { summary: "The caller's account" }, response: responses({ 200: Account }),
    })
    .put("/password", async ({ ctx, body, set }) => {
      await s.auth.changePassword(ctx, body);
      set.status = 204;
    }, {
      auth: true, parse: "json", body: ChangePasswordBody,
      detail: { summary: "Change the caller's password; other tokens are revoked" },
      response: responses({ 204: t.Void() }),
    })
    .post("/totp/enroll", ({ ctx, body }) => s.auth.totpEnroll(ctx, body ?? {}), {
      auth: true, body: t.Optional(StepUpBody),
      detail: { summary: "Start TOTP enrollment (inactive until confirmed); needs current_password (step-up), else 403" },
      response: responses({ 200: TotpEnrollResponse }),
    })
    .post("/totp/confirm", ({ ctx, body }) => s.auth.totpConfirm(ctx, body.code), {
      auth: true, parse: "json", body: TotpConfirmBody,
      detail: { summary: "Confirm TOTP with a code; required at login from now on. Answers 10 one-time recovery codes, shown once" },
      response: responses({ 200: RecoveryCodes }),
    });
