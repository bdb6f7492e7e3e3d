import type { Action, ResourceType } from "./actions";

export interface Subject {
  id: string;
  account_type: "human" | "system";
  roles: string[];
  tags: string[];
}

export interface Resource {
  type: ResourceType;
  id?: string;
  /** The account the resource belongs to (for an account: itself). */
  owner_id?: string;
  /** The system account's username when the resource belongs to one. */
  service?: string;
  /** Tags of the target account. */
  tags?: string[];
  /** Relationship facts the service layer loads; only built-in rules look at them. */
  delegate_ids?: string[];
  grantee_ids?: string[];
  /** Roles of the account the resource belongs to (built-in rules only). */
  roles?: string[];
  /** For an app (forward-auth): the roles that open it; empty = any account (built-in rules only). */
  app_roles?: string[];
}

export interface PolicyInput {
  subject: Subject;
  action: Action;
  resource: Resource;
}

/** Match fields a stored rule may use (SPEC §5). All listed fields must hold. */
export interface RuleMatch {
  roles?: string[];
  account_types?: ("human" | "system")[];
  subject_ids?: string[];
  actions?: Action[];
  resource_types?: ResourceType[];
  owner_is_subject?: boolean;
  services?: string[];
  required_tags?: string[];
}

/** Predicates only compiled-in rules use: relationships, not attributes an admin writes. */
export interface BuiltinMatch extends RuleMatch {
  subject_has_service_role?: boolean;
  subject_is_delegate?: boolean;
  subject_is_grantee?: boolean;
  /** The resource's account holds `admin` and the subject does not. */
  escalates_to_admin?: boolean;
  /** The subject holds one of the app's roles, or the app names none. */
  subject_has_app_role?: boolean;
}

export interface Rule {
  id: number;
  description: string;
  effect: "allow" | "deny";
  /** Lower runs first; decides which rule is reported when several match. */
  priority: number;
  enabled: boolean;
  not_before?: string | null;
  expires_at?: string | null;
  match: BuiltinMatch;
}

export interface Decision {
  effect: "allow" | "deny";
  /** The deciding rule; null for the default deny. */
  rule: Rule | null;
}
