/** Schemas of SPEC §15: invite links, WebAuthn ceremonies and credentials, recovery codes. */
import { t } from "elysia";
import { Closed, Time } from "./common";

/** Step-up (SPEC §18, issue 21): accepted now, required later. */
const CurrentPassword = t.String({ minLength: 1, maxLength: 1024 });

export const InviteLink = t.Object({ url: t.String(), expires_at: Time }, { ...Closed, title: "InviteLink" });
export const InviteParams = t.Object({ token: t.String({ minLength: 1, maxLength: 128 }) }, Closed);
const Audience = t.String({ minLength: 1, maxLength: 256, description: "the app the token is for (its `aud`); absent = any app" });

export const AcceptInviteBody = t.Object({
  password: t.String({ minLength: 1, maxLength: 1024, description: "12-256 characters, not the username" }),
  audience: t.Optional(Audience),
}, { ...Closed, title: "AcceptInviteRequest" });

export const RecoveryCodes = t.Object({
  recovery_codes: t.Array(t.String(), { description: "10 one-time codes, shown once" }),
}, { ...Closed, title: "RecoveryCodes" });
export const RegenerateRecoveryCodesBody = t.Object({ current_password: CurrentPassword }, { ...Closed, title: "RegenerateRecoveryCodesRequest" });
export const TotpEnrollBody = t.Object({ current_password: t.Optional(CurrentPassword) }, { ...Closed, title: "TotpEnrollRequest" });

export const WebauthnCredential = t.Object({
  id: t.String(), name: t.String(), created_at: Time, last_used_at: t.Union([Time, t.Null()]),
}, { ...Closed, title: "WebauthnCredential" });
export const CredentialParams = t.Object({ id: t.String({ maxLength: 36 }) }, Closed);
export const AccountCredentialParams = t.Object({ id: t.String({ maxLength: 36 }), cred_id: t.String({ maxLength: 36 }) }, Closed);
export const RenameCredentialBody = t.Object({ name: t.String({ minLength: 1, maxLength: 64 }) }, { ...Closed, title: "RenameCredentialRequest" });

/** PublicKeyCredentialCreationOptionsJSON / RequestOptionsJSON: passed to the browser as is. */
export const CeremonyOptions = t.Object({ challenge: t.String() }, { additionalProperties: true, title: "WebauthnOptions", description: "WebAuthn options JSON (Level 3 toJSON form) for navigator.credentials" });

const B64u = t.String({ maxLength: 16384, pattern: "^[A-Za-z0-9_-]*$" });
const Open = { additionalProperties: true } as const;

export const RegistrationResponse = t.Object({
  id: B64u,
  rawId: B64u,
  type: t.Literal("public-key"),
  response: t.Object({
    clientDataJSON: B64u,
    attestationObject: B64u,
    authenticatorData: t.Optional(B64u),
    transports: t.Optional(t.Array(t.String({ maxLength: 32 }), { maxItems: 16 })),
    publicKeyAlgorithm: t.Optional(t.Number()),
    publicKey: t.Optional(B64u),
  }, Open),
  authenticatorAttachment: t.Optional(t.Union([t.Literal("platform"), t.Literal("cross-platform")])),
  clientExtensionResults: t.Object({}, Open),
}, { ...Closed, title: "RegistrationResponse" });

export const AuthenticationResponse = t.Object({
  id: B64u,
  rawId: B64u,
  type: t.Literal("public-key"),
  response: t.Object({
    clientDataJSON: B64u,
    authenticatorData: B64u,
    signature: B64u,
    userHandle: t.Optional(B64u),
  }, Open),
  authenticatorAttachment: t.Optional(t.Union([t.Literal("platform"), t.Literal("cross-platform")])),
  clientExtensionResults: t.Object({}, Open),
}, { ...Closed, title: "AuthenticationResponse" });

export const RegisterOptionsBody = t.Object({ current_password: t.Optional(CurrentPassword) }, { ...Closed, title: "WebauthnRegisterOptionsRequest" });
export const RegisterVerifyBody = t.Object({
  response: RegistrationResponse,
  name: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
  current_password: t.Optional(CurrentPassword),
}, { ...Closed, title: "WebauthnRegisterVerifyRequest" });
export const LoginOptionsBody = t.Object({
  username: t.Optional(t.String({ minLength: 1, maxLength: 256, description: "only for security keys that are not discoverable" })),
}, { ...Closed, title: "WebauthnLoginOptionsRequest" });
export const LoginVerifyBody = t.Object({
  response: AuthenticationResponse,
  password: t.Optional(t.String({ minLength: 1, maxLength: 1024, description: "required when the authenticator did not verify the user (a security key as second factor)" })),
  audience: t.Optional(Audience),
}, { ...Closed, title: "WebauthnLoginVerifyRequest" });
