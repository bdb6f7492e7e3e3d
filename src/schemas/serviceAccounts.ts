import { t } from "elysia";
import { Closed, Time, Uuid } from "./common";

export const IssuedServiceToken = t.Object({ token: t.String(), expires_at: Time, jti: t.String() }, { ...Closed, title: "IssuedServiceToken" });

/** `{"grantee_id"}`: the body of POST …/token/delegates and POST …/pgcreds/access. */
export const GrantBody = t.Object({ grantee_id: Uuid }, { ...Closed, title: "GrantRequest" });

export const Grant = t.Object({ grantee_id: t.String(), username: t.String(), granted_at: Time }, { ...Closed, title: "Grant" });

export const GranteeParams = t.Object({ id: Uuid, grantee_id: Uuid }, Closed);
