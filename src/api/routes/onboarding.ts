/**
 * SPEC §15 routes: invite links (/v1/accounts/{id}/invite, /v1/invites/{token}/accept),
 * passkeys and security keys (/v1/auth/webauthn/…, admin /v1/accounts/{id}/webauthn/…)
 * and recovery codes (/v1/auth/recovery-codes).
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import type { Limiters } from "../../http/limiters";
import { authPlugin } from "../plugins/auth";
import { rateLimitPlugin } from "../plugins/rateLimit";
import { IdParams, responses, TokenResponse } from "../../schemas/common";
import {
  AcceptInviteBody, AccountCredentialParams, CeremonyOptions, CredentialParams, InviteLink, InviteParams, LoginOptionsBody,
  LoginVerifyBody, RecoveryCodes, RegenerateRecoveryCodesBody, RegisterOptionsBody, RegisterVerifyBody, RenameCredentialBody,
  WebauthnCredential,
} from "../../schemas/onboarding";

export const onboardingRoutes = (s: Services, limiters: Limiters) =>
  new Elysia()
    .use(authPlugin(s))
    .use(rateLimitPlugin(limiters, s.id))
    // ---- invite / reset links ----------------------------------------------------
    .post("/v1/accounts/:id/invite", ({ ctx, params, set }) => {
      const link = s.invites.create(ctx, params.id);
      set.status = 201;
      return { url: link.url, expires_at: link.expires_at };
    }, {
      auth: true, params: IdParams,
      detail: { tags: ["accounts"], summary: "Make a single-use invite (or reset) link; the previous one is revoked" },
      response: responses({ 201: InviteLink }),
    })
    .post("/v1/invites/:token/accept", async ({ params, body, anon }) => {
      const r = await s.invites.accept(anon, params.token, body.password, { audience: body.audience });
      return { token: r.token, expires_at: r.expires_at };
    }, {
      params: InviteParams, parse: "json", body: AcceptInviteBody, rateLimit: "login",
      detail: { tags: ["auth"], summary: "Accept an invite link: set the password and sign in; unknown, used and expired links are 404", security: [] },
      response: responses({ 200: TokenResponse }),
    })
    // ---- recovery codes ---------------------------------------------------------
    .post("/v1/auth/recovery-codes", async ({ ctx, body }) => s.auth.regenerateRecoveryCodes(ctx, body), {
      auth: true, parse: "json", body: RegenerateRecoveryCodesBody,
      detail: { tags: ["auth"], summary: "Replace the caller's recovery codes (shown once; the old set stops working)" },
      response: responses({ 200: RecoveryCodes }),
    })
    // ---- WebAuthn: own credentials ------------------------------------------------
    .post("/v1/auth/webauthn/register/options", ({ ctx, body }) => s.webauthn.registerOptions(ctx, body ?? {}), {
      auth: true, parse: "json", body: t.Optional(RegisterOptionsBody),
      detail: { tags: ["webauthn"], summary: "Creation options for a new passkey or security key; needs current_password (step-up), else 403" },
      response: responses({ 200: CeremonyOptions }),
    })
    .post("/v1/auth/webauthn/register/verify", async ({ ctx, body, set }) => {
      const c = await s.webauthn.registerVerify(ctx, { response: body.response, name: body.name });
      set.status = 201;
      return c;
    }, {
      auth: true, parse: "json", body: RegisterVerifyBody,
      detail: { tags: ["webauthn"], summary: "Store the new credential (public key only)" },
      response: responses({ 201: WebauthnCredential }),
    })
    .get("/v1/auth/webauthn/credentials", ({ ctx }) => s.webauthn.list(ctx), {
      auth: true, detail: { tags: ["webauthn"], summary: "The caller's passkeys and security keys" },
      response: responses({ 200: t.Array(WebauthnCredential) }),
    })
    .patch("/v1/auth/webauthn/credentials/:id", ({ ctx, params, body }) => s.webauthn.rename(ctx, params.id, body.name), {
      auth: true, params: CredentialParams, parse: "json", body: RenameCredentialBody,
      detail: { tags: ["webauthn"], summary: "Rename one of the caller's credentials" },
      response: responses({ 200: WebauthnCredential }),
    })
    .delete("/v1/auth/webauthn/credentials/:id", ({ ctx, params, set }) => {
      s.webauthn.remove(ctx, params.id);
      set.status = 204;
    }, {
      auth: true, params: CredentialParams,
      detail: { tags: ["webauthn"], summary: "Remove one of the caller's credentials" },
      response: responses({ 204: t.Void() }),
    })
    // ---- WebAuthn: login -----------------------------------------------------------
    .post("/v1/auth/webauthn/login/options", ({ anon, body }) => s.webauthn.loginOptions(anon, body ?? {}), {
      parse: "json", body: t.Optional(LoginOptionsBody), rateLimit: "login",
      detail: { tags: ["webauthn"], summary: "Request options for a passkey login (no username needed)", security: [] },
      response: responses({ 200: CeremonyOptions }),
    })
    .post("/v1/auth/webauthn/login/verify", async ({ anon, body }) => {
      const r = await s.webauthn.loginVerify(anon, body);
      return { token: r.token, expires_at: r.expires_at };
    }, {
      parse: "json", body: LoginVerifyBody, rateLimit: "login",
      detail: { tags: ["webauthn"], summary: "Log in with a passkey assertion (satisfies TOTP); a security key without user verification also needs the password", security: [] },
      response: responses({ 200: TokenResponse }),
    })
    // ---- WebAuthn: admin view of any account ----------------------------------------
    .get("/v1/accounts/:id/webauthn/credentials", ({ ctx, params }) => s.webauthn.list(ctx, params.id), {
      auth: true, params: IdParams,
      detail: { tags: ["accounts"], summary: "An account's passkeys and security keys (admin)" },
      response: responses({ 200: t.Array(WebauthnCredential) }),
    })
    .delete("/v1/accounts/:id/webauthn/credentials/:cred_id", ({ ctx, params, set }) => {
      s.webauthn.remove(ctx, params.cred_id, { accountId: params.id });
      set.status = 204;
    }, {
      auth: true, params: AccountCredentialParams,
      detail: { tags: ["accounts"], summary: "Remove one of an account's credentials (admin)" },
      response: responses({ 204: t.Void() }),
    });
