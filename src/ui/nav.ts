/**
 * What the console shows a principal. Every button, link and state on every page asks
 * one question, `may`, answered by the policy engine through `services.authz.may` with
 * the same resource facts the service will use when the action is tried (no audit row
 * for merely rendering a page). The action itself is still decided, and audited, by
 * the service it calls.
 */
import type { Action, Resource } from "../policy";
import type { Principal, Services } from "../services";
import type { NavItem } from "./layout";

/** May `p` do `action` on a resource of `type` (belonging to account `accountId`, if given)? */
export function may(s: Services, p: Principal, action: Action, type: Resource["type"], accountId?: string): boolean {
  return s.authz.may(p, action, type, accountId);
}

export function navFor(s: Services, p: Principal): NavItem[] {
  const items: NavItem[] = [{ href: "/", label: "Dashboard" }];
  if (may(s, p, "accounts:read", "account")) items.push({ href: "/accounts", label: "Accounts" });
  if (may(s, p, "accounts:read", "account") || s.serviceAccounts.listManageable({ ip: null, principal: p }).length > 0) {
    items.push({ href: "/services", label: "Service accounts" });
  }
  items.push({ href: "/pgcreds", label: "Postgres" });
  if (may(s, p, "policy:read", "policy")) items.push({ href: "/policy", label: "Policy" });
  if (may(s, p, "audit:read", "audit")) items.push({ href: "/audit", label: "Audit log" });
  if (may(s, p, "oidc_clients:read", "oidc_client")) items.push({ href: "/oidc-clients", label: "Applications" });
  items.push({ href: "/profile", label: "Profile" });
  return items;
}
