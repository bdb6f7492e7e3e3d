import { t } from "elysia";
import { Closed, Password, Time, Username } from "./common";

const Audience = t.String({ minLength: 1, maxLength: 256, description: "the app the token is for (its `aud`); absent = any app" });

export const LoginBody = t.Object({
  username: t.String({ minLength: 1, maxLength: 256 }),
  password: t.String({ minLength: 1, maxLength: 1024 }),
  totp_code: t.Optional(t.String({ maxLength: 16 })),
  audience: t.Optional(Audience),
}, { ...Closed, title: "LoginRequest" });

/** Optional body of renew and service-token issue (SPEC §18). */
export const AudienceBody = t.Object({ audience: t.Optional(Audience) }, { ...Closed, title: "AudienceRequest" });

/** Step-up (SPEC §18): the current password in the same request. */
export const StepUpBody = t.Object({
  current_password: t.Optional(t.String({ maxLength: 1024, description: "required: without it the answer is 403" })),
}, { ...Closed, title: "StepUpRequest" });

export const ChangePasswordBody = t.Object({
  current_password: t.String({ minLength: 1, maxLength: 1024 }),
  new_password: Password,
}, { ...Closed, title: "ChangePasswordRequest" });

export const TotpEnrollResponse = t.Object({ secret: t.String(), otpauth_uri: t.String() }, { ...Closed, title: "TotpEnrollment" });
export const TotpConfirmBody = t.Object({ code: t.String({ minLength: 1, maxLength: 16 }) }, { ...Closed, title: "TotpConfirm" });

export const ValidateBody = t.Object({
  token: t.String({ maxLength: 16384 }),
  audience: t.Optional(t.String({ minLength: 1, maxLength: 256, description: "refuse a token minted for another audience" })),
}, { ...Closed, title: "ValidateRequest" });
export const ValidateResponse = t.Union([
  t.Object({
    valid: t.Literal(true),
    sub: t.String(),
    username: Username,
    account_type: t.Union([t.Literal("human"), t.Literal("system")]),
    roles: t.Array(t.String()),
    jti: t.String(),
    issued_at: Time,
    expires_at: Time,
    audience: t.Optional(t.String({ description: "present when the token was minted for one audience" })),
  }, Closed),
  t.Object({ valid: t.Literal(false) }, Closed),
], { title: "ValidateResponse" });
