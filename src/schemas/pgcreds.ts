import { t } from "elysia";
import { Closed } from "./common";

// t.Number, not t.Integer (which accepts the string "5432"); the service checks integrality.
const Port = t.Number({ minimum: 1, maximum: 65535, multipleOf: 1, description: "TCP port, an integer 1..65535" });
const Host = t.String({ minLength: 1, maxLength: 253 });
const Ident = t.String({ minLength: 1, maxLength: 63 });

export const SetPgCredBody = t.Object({
  host: Host,
  port: Port,
  database: Ident,
  username: Ident,
  password: t.String({ minLength: 1, maxLength: 1024 }),
}, { ...Closed, title: "SetPgCredRequest" });

export const PgCred = t.Object({
  host: t.String(),
  port: t.Number(),
  database: t.String(),
  username: t.String(),
  password: t.Optional(t.String({ description: "only for a reader allowed pgcreds:read; absent for a metadata grantee" })),
}, { ...Closed, title: "PgCred" });

export const PgCredListItem = t.Object({
  account_id: t.String(),
  service: t.String({ description: "the system account's username" }),
  host: t.String(),
  port: t.Number(),
  database: t.String(),
  username: t.String(),
}, { ...Closed, title: "PgCredListItem" });
