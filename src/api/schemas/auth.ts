import { t } from "elysia";
import { Closed, Password, Time, Username } from "./common";

export const LoginBody = t.Object({
  username: t.String({ minLength: 1, maxLength: 256 }),
  password: t.String({ minLength: 1, maxLength: 1024 }),
  totp_code: t.Optional(t.String({ maxLength: 16 })),
}, { ...Closed, title: "LoginRequest" });

export const ChangePasswordBody = t.Object({
  current_password: t.String({ minLength: 1, maxLength: 1024 }),
  new_password: Password,
}, { ...Closed, title: "ChangePasswordRequest" });

export const TotpEnrollResponse = t.Object({ secret: t.String(), otpauth_uri: t.String() }, { ...Closed, title: "TotpEnrollment" });
export const TotpConfirmBody = t.Object({ code: t.String({ minLength: 1, maxLength: 16 }) }, { ...Closed, title: "TotpConfirm" });

export const ValidateBody = t.Object({ token: t.String({ maxLength: 16384 }) }, { ...Closed, title: "ValidateRequest" });
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
  }, Closed),
  t.Object({ valid: t.Literal(false) }, Closed),
], { title: "ValidateResponse" });
