/**
 * What the console shows a principal. Links are hidden with the policy engine's pure
 * `decide` (no audit row for merely rendering a menu); every action is still decided,
 * and audited, by the service it calls.
 */
import type { Action, Resource } from "../policy";
import type { Principal, Services } from "../services";
import type { NavItem } from "./layout";

export function allowed(s: Services, p: Principal, action: Action, resource: Resource): boolean {
  return s.authz.decide(p, action, resource).effect === "allow";
}

export function navFor(s: Services, p: Principal): NavItem[] {
  const items: NavItem[] = [{ href: "/", label: "Dashboard" }];
  if (allowed(s, p, "accounts:read", { type: "account" })) items.push({ href: "/accounts", label: "Accounts" });
  if (p.account_type === "human") items.push({ href: "/services", label: "Service accounts" });
  items.push({ href: "/pgcreds", label: "Postgres" });
  if (allowed(s, p, "policy:read", { type: "policy" })) items.push({ href: "/policy", label: "Policy" });
  if (allowed(s, p, "audit:read", { type: "audit" })) items.push({ href: "/audit", label: "Audit log" });
  if (allowed(s, p, "oidc_clients:read", { type: "oidc_client" })) items.push({ href: "/oidc-clients", label: "Applications" });
  items.push({ href: "/profile", label: "Profile" });
  return items;
}
