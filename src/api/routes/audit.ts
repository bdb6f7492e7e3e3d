/** /v1/audit: the audit log with filters and cursor paging. */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { authPlugin } from "../plugins/auth";
import { responses } from "../../schemas/common";
import { AuditPage, AuditQuery, AuditVerdict } from "../../schemas/audit";

export const auditRoutes = (s: Services) =>
  new Elysia({ prefix: "/v1/audit", detail: { tags: ["audit"] } })
    .use(authPlugin(s))
    .get("", ({ ctx, query }) =>
      s.auditQuery.query(ctx, { ...query, limit: query.limit === undefined ? undefined : Number(query.limit) }), {
      auth: true, query: AuditQuery,
      detail: { summary: "Query audit events, newest first (admin)" },
      response: responses({ 200: AuditPage }),
    })
    .get("/verify", ({ ctx }) => s.auditQuery.verify(ctx), {
      auth: true,
      detail: { summary: "Verify the audit log's hash chain (admin)" },
      response: responses({ 200: AuditVerdict }),
    });
