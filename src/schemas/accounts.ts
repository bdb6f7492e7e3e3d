import { t } from "elysia";
import { Closed, Password, RoleName, Tag, Time } from "./common";

export const AccountType = t.Union([t.Literal("human"), t.Literal("system")]);

/** Capitals are accepted and folded to lower case (SPEC §15). */
const UsernameInput = t.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" });
export const Email = t.String({ minLength: 3, maxLength: 254, description: "unique, case-insensitive" });
export const DisplayName = t.String({ minLength: 1, maxLength: 128 });

export const CreateAccountBody = t.Object({
  username: UsernameInput,
  email: t.Optional(Email),
  display_name: t.Optional(DisplayName),
  account_type: AccountType,
  password: t.Optional(Password),
  roles: t.Optional(t.Array(RoleName, { maxItems: 64 })),
}, { ...Closed, title: "CreateAccountRequest" });

export const ListAccountsQuery = t.Object({
  status: t.Optional(t.Union([t.Literal("active"), t.Literal("inactive"), t.Literal("deleted")])),
  account_type: t.Optional(AccountType),
  username: t.Optional(t.String({ maxLength: 64, description: "only the account with this username (any status, case-insensitive)" })),
}, Closed);

export const UpdateAccountBody = t.Object({
  status: t.Optional(t.Union([t.Literal("active"), t.Literal("inactive")])),
  email: t.Optional(t.Union([Email, t.Null()])),
  display_name: t.Optional(t.Union([DisplayName, t.Null()])),
}, { ...Closed, title: "UpdateAccountRequest" });

export const SetPasswordBody = t.Object({ password: Password }, { ...Closed, title: "SetPasswordRequest" });
export const Roles = t.Object({ roles: t.Array(RoleName, { maxItems: 64 }) }, { ...Closed, title: "Roles" });
export const GrantRoleBody = t.Object({ role: RoleName }, { ...Closed, title: "GrantRoleRequest" });
export const RoleParams = t.Object({ id: t.String({ maxLength: 36 }), role: t.String({ maxLength: 64 }) }, Closed);
export const Tags = t.Object({ tags: t.Array(Tag, { maxItems: 64 }) }, { ...Closed, title: "Tags" });

export const TokenInfo = t.Object({
  jti: t.String(), issued_at: Time, expires_at: Time, revoked_at: t.Union([Time, t.Null()]),
}, { ...Closed, title: "TokenInfo" });
