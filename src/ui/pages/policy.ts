/** Policy rules: list with enable/disable toggles, create and edit in form or raw-JSON mode, delete. */
import { AppError } from "../../errors";
import { ACTIONS, RESOURCE_TYPES } from "../../policy";
import { html, type Html } from "../html";
import type { Rc } from "../http";
import { actionButton, badge, field, postForm, select, table, time } from "../layout";
import { may } from "../nav";
import { list, notice, str, type Route, type UiDeps } from "../routes";
import { details } from "./common";
import { UUID_RE } from "../../services/limits";

interface RuleDraft {
  description?: unknown; effect?: unknown; priority?: unknown; enabled?: unknown;
  not_before?: unknown; expires_at?: unknown; match?: Record<string, unknown>;
}

const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const text = (v: unknown): string => (typeof v === "string" || typeof v === "number" ? String(v) : "");

/** A datetime-local value ("2026-01-31T09:30", read as UTC) as RFC 3339; other text passes as is. */
function fromPicker(v: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v) ? `${v}:00Z` : v;
}

/** An RFC 3339 UTC time as a datetime-local value (minutes), for the picker. */
function toPicker(v: unknown): string {
  const t = typeof v === "string" ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? "" : new Date(t).toISOString().slice(0, 16);
}

/** The form's fields as a rule object; `forPatch` turns empty times into null (clears them). */
function ruleFromForm(f: URLSearchParams, forPatch: boolean): Record<string, unknown> {
  const match: Record<string, unknown> = {};
  const put = (k: string, v: string[]) => { if (v.length) match[k] = v; };
  put("roles", list(f, "roles"));
  put("account_types", f.getAll("account_types"));
  put("subject_ids", list(f, "subject_ids"));
  put("actions", f.getAll("actions"));
  put("resource_types", f.getAll("resource_types"));
  put("services", list(f, "services"));
  put("required_tags", list(f, "required_tags"));
  const owner = str(f, "owner_is_subject");
  if (owner === "true" || owner === "false") match.owner_is_subject = owner === "true";
  const rule: Record<string, unknown> = {
    description: str(f, "description"),
    effect: str(f, "effect"),
    priority: /^-?\d+$/.test(str(f, "priority")) ? Number(str(f, "priority")) : str(f, "priority") === "" ? 100 : str(f, "priority"),
    enabled: f.get("enabled") === "on",
    match,
  };
  for (const k of ["not_before", "expires_at"]) {
    const v = str(f, k);
    if (v !== "") rule[k] = fromPicker(v);
    else if (forPatch) rule[k] = null;
  }
  return rule;
}

function checks(name: string, legend: string, options: readonly string[], chosen: string[]): Html {
  return html`<fieldset><legend>${legend}</legend><div class="checks">${options.map((o) => {
    const id = `chk-${name}-${o.replace(/[^a-z0-9]/gi, "-")}`;
    return html`<label for="${id}"><input type="checkbox" id="${id}" name="${name}" value="${o}"${chosen.includes(o) ? html` checked` : ""}> ${o}</label>`;
  })}</div></fieldset>`;
}

function ruleForm(r: RuleDraft, subjectError: string | null = null): Html {
  const m = r.match ?? {};
  const owner = m.owner_is_subject === true ? "true" : m.owner_is_subject === false ? "false" : "";
  return html`<input type="hidden" name="mode" value="form">
${field({ name: "description", label: "Description", required: true, value: text(r.description), id: "rule-description", autocomplete: "off" })}
${select({ name: "effect", label: "Effect", value: text(r.effect) || "allow", options: [["allow", "allow"], ["deny", "deny (wins over every allow)"]], id: "rule-effect" })}
${field({ name: "priority", label: "Priority", type: "number", value: text(r.priority ?? 100), min: 0, max: 10000, hint: "0–10000, default 100. It never changes the outcome (a matching deny always wins); among the rules that match, the lowest number is the one reported as the reason.", id: "rule-priority" })}
<div class="field"><label for="rule-enabled"><input type="checkbox" id="rule-enabled" name="enabled"${r.enabled !== false ? html` checked` : ""}> Enabled</label></div>
${field({ name: "not_before", label: "Not before (UTC)", type: "datetime-local", value: toPicker(r.not_before), hint: "Optional: the rule applies from this time on.", id: "rule-not-before" })}
${field({ name: "expires_at", label: "Expires at (UTC)", type: "datetime-local", value: toPicker(r.expires_at), hint: "Optional: the rule stops applying at this time.", id: "rule-expires-at" })}
<h3>Match (every filled field must hold; empty matches anything)</h3>
${checks("actions", "Actions", ACTIONS, strList(m.actions))}
${checks("resource_types", "Resource types", RESOURCE_TYPES, strList(m.resource_types))}
${checks("account_types", "Subject account types", ["human", "system"], strList(m.account_types))}
${field({ name: "roles", label: "Subject roles", value: strList(m.roles).join(", "), hint: "Comma separated; any one suffices.", id: "rule-roles", autocomplete: "off" })}
${field({ name: "subject_ids", label: "Subject accounts", value: strList(m.subject_ids).join(", "), hint: "Usernames (or ids), comma separated.", id: "rule-subject-ids", autocomplete: "off", error: subjectError })}
${field({ name: "services", label: "Services", value: strList(m.services).join(", "), hint: "System account usernames.", id: "rule-services", autocomplete: "off" })}
${field({ name: "required_tags", label: "Required tags on the resource", value: strList(m.required_tags).join(", "), id: "rule-required-tags", autocomplete: "off" })}
${select({ name: "owner_is_subject", label: "Resource owned by the subject", value: owner, options: [["", "either"], ["true", "yes"], ["false", "no"]], id: "rule-owner" })}
<div><button type="submit">Save rule</button></div>`;
}

function jsonForm(textValue: string): Html {
  return html`<input type="hidden" name="mode" value="json">
<div class="field"><label for="rule-json">Rule JSON</label>
<textarea id="rule-json" name="json" spellcheck="false" aria-describedby="rule-json-hint">${textValue}</textarea>
<span class="hint" id="rule-json-hint">Fields: description, effect, priority, enabled, not_before, expires_at, match {roles, account_types, subject_ids, actions, resource_types, owner_is_subject, services, required_tags}.</span></div>
<div><button type="submit">Save rule</button></div>`;
}

const EXAMPLE = { description: "", effect: "allow", priority: 100, enabled: true, match: { roles: [], actions: [] } };

function editable(r: { description: string; effect: string; priority: number; enabled: boolean; not_before?: string; expires_at?: string; match: Record<string, unknown> }) {
  const { description, effect, priority, enabled, not_before, expires_at, match } = r;
  return { description, effect, priority, enabled, ...(not_before ? { not_before } : {}), ...(expires_at ? { expires_at } : {}), match };
}

export function policyRoutes({ s }: UiDeps): Route[] {

  /** Subject ids shown as usernames in the form (an id the caller may not read stays an id). */
  const withNames = (rc: Rc, d: RuleDraft): RuleDraft => {
    const ids = strList(d.match?.subject_ids);
    if (!ids.length) return d;
    const names = ids.map((id) => { try { return s.accounts.get(rc.ctx, id).username; } catch { return id; } });
    return { ...d, match: { ...d.match, subject_ids: names } };
  };

  /** The form's subject usernames as ids; an unknown name is reported beside the field. */
  const resolveSubjects = (rc: Rc, body: Record<string, unknown>): string | null => {
    const match = body.match as Record<string, unknown> | undefined;
    const given = strList(match?.subject_ids);
    if (!match || !given.length) return null;
    const ids: string[] = [];
    for (const g of given) {
      if (UUID_RE.test(g.toLowerCase())) { ids.push(g.toLowerCase()); continue; }
      try { ids.push(s.accounts.getByUsername(rc.ctx, g.toLowerCase()).id); } catch (e) {
        if (e instanceof AppError && (e.code === "not_found" || e.code === "forbidden")) return `No account named “${g}”.`;
        throw e;
      }
    }
    match.subject_ids = ids;
    return null;
  };

  const editor = (rc: Rc, o: { id?: number; mode: string; draft: RuleDraft; json?: string; status?: number; error?: string | null; subjectError?: string | null }) => {
    const action = o.id === undefined ? "/policy/rules" : `/policy/rules/${o.id}`;
    const here = o.id === undefined ? "/policy/new" : `/policy/rules/${o.id}/edit`;
    const json = o.json ?? JSON.stringify(o.id === undefined && !o.draft.description ? EXAMPLE : o.draft, null, 2);
    return rc.render(o.id === undefined ? "New rule" : `Rule ${o.id}`, html`<p><a href="/policy">← Policy</a></p>
<h1>${o.id === undefined ? "New rule" : `Edit rule ${o.id}`}</h1>
<nav class="tabs" aria-label="Editor mode"><a href="${here}?mode=form"${o.mode === "form" ? html` aria-current="page"` : ""}>Form</a><a href="${here}?mode=json"${o.mode === "json" ? html` aria-current="page"` : ""}>Raw JSON</a></nav>
<div class="card">${postForm(action, rc.csrf, o.mode === "json" ? jsonForm(json) : ruleForm(o.draft, o.subjectError ?? null), { label: "Rule" })}</div>`,
      { current: "/policy", status: o.status, error: o.error });
  };

  /** The submitted rule: parsed JSON (raw mode) or the form's fields. */
  function submitted(rc: Rc, forPatch: boolean): { body: unknown; mode: string; json?: string } {
    if (str(rc.form, "mode") === "json") {
      const json = rc.form.get("json") ?? "";
      try {
        return { body: JSON.parse(json) as unknown, mode: "json", json };
      } catch {
        throw Object.assign(new AppError("bad_request", "the rule is not valid JSON"), { json });
      }
    }
    return { body: ruleFromForm(rc.form, forPatch), mode: "form" };
  }

  function save(rc: Rc, id: number | undefined): Response {
    let sub: { body: unknown; mode: string; json?: string } = { body: {}, mode: str(rc.form, "mode") === "json" ? "json" : "form" };
    try {
      sub = submitted(rc, id !== undefined);
      if (sub.mode === "form") {
        const typed = structuredClone(sub.body) as RuleDraft;
        const subjectError = resolveSubjects(rc, sub.body as Record<string, unknown>);
        if (subjectError) return editor(rc, { id, mode: "form", draft: typed, status: 400, subjectError });
      }
      if (id === undefined) s.policy.create(rc.ctx, sub.body);
      else s.policy.update(rc.ctx, id, sub.body);
    } catch (e) {
      if (e instanceof AppError && e.code === "bad_request") {
        const json = sub.json ?? (e as AppError & { json?: string }).json;
        const draft = (sub.body && typeof sub.body === "object" ? sub.body : {}) as RuleDraft;
        return editor(rc, { id, mode: sub.mode, draft: sub.mode === "form" ? withNames(rc, draft) : draft, json, status: 400, error: e.message });
      }
      throw e;
    }
    return rc.redirect(`/policy?notice=${id === undefined ? "rule_created" : "rule_updated"}`);
  }

  const ruleIdOf = (rc: Rc) => {
    const v = rc.params.id ?? "";
    if (!/^\d{1,15}$/.test(v)) throw new AppError("not_found", "rule not found");
    return Number(v);
  };

  return [
    {
      method: "GET", path: "/policy",
      handler: (rc) => {
        const rules = s.policy.list(rc.ctx);
        const canWrite = may(s, rc.principal, "policy:write", "policy");
        const stored = rules.filter((r) => r.id > 0);
        const builtin = rules.filter((r) => r.id < 0);
        const row = (r: (typeof rules)[number]) => html`<tr>
<td>${r.id}</td><td>${r.description}${r.id < 0 ? html` ${badge("built-in")}` : ""}</td><td>${badge(r.effect, r.effect === "deny" ? "off" : "ok")}</td><td>${r.priority}</td>
<td>${r.enabled ? "on" : badge("off", "warn")}${r.not_before || r.expires_at ? html`<br><span class="hint">${time(r.not_before)} → ${time(r.expires_at)}</span>` : ""}</td>
<td>${details(r.match as Record<string, unknown>)}</td>
<td>${r.id > 0 && canWrite ? html`${actionButton(`/policy/rules/${r.id}/toggle`, rc.csrf, r.enabled ? "Disable" : "Enable", { hidden: { enabled: r.enabled ? "false" : "true" } })}
<a class="button small secondary" href="/policy/rules/${r.id}/edit">Edit</a>
${actionButton(`/policy/rules/${r.id}/delete`, rc.csrf, "Delete", { cls: "small danger", confirm: "Delete this rule?" })}` : ""}</td></tr>`;
        const headers = ["ID", "Description", "Effect", "Priority", "Enabled", "Match", ""];
        return rc.render("Policy", html`<h1>Policy rules</h1>
<div class="card"><p>How a decision is made: every enabled rule whose match fits the request is considered.
A matching <strong>deny</strong> wins over every allow; with no matching rule the answer is deny.
<strong>Priority</strong> never changes the outcome: among the matching rules, the lowest number is the one reported as the reason.
Built-in rules (negative ids) cannot be changed.</p>
<p><a href="/policy/evaluate">Why is something allowed or denied? Evaluate a request →</a></p></div>
${canWrite ? html`<p><a class="button" href="/policy/new">New rule</a></p>` : ""}
<h2>Stored rules</h2>${table(headers, stored.map(row), "No stored rules yet: only the built-in rules apply.", "Stored rules")}
<details><summary>Built-in rules (${builtin.length})</summary>${table(headers, builtin.map(row), "No built-in rules.", "Built-in rules")}</details>`,
        { current: "/policy", notice: notice(rc) });
      },
    },
    {
      // "Why is this denied?": the engine's answer for a subject, an action and a resource (SPEC §3 evaluate).
      method: "GET", path: "/policy/evaluate", opts: { back: "/policy" },
      handler: (rc) => {
        const q = rc.url.searchParams;
        const subject = (q.get("subject") ?? "").trim().toLowerCase();
        const action = (q.get("action") ?? "").trim();
        const type = (q.get("type") ?? "").trim();
        const resourceIn = (q.get("resource") ?? "").trim();
        let result: Html | string = "";
        let subjectError: string | null = null;
        let resourceError: string | null = null;
        let status = 200;
        const idOf = (v: string): string | null => {
          if (UUID_RE.test(v.toLowerCase())) return v.toLowerCase();
          try { return s.accounts.getByUsername(rc.ctx, v.toLowerCase()).id; } catch (e) {
            if (e instanceof AppError && (e.code === "not_found" || e.code === "forbidden")) return null;
            throw e;
          }
        };
        if (subject && action && type) {
          const sid = idOf(subject);
          const accountish = type === "account" || type === "pgcreds" || type === "token";
          const rid = resourceIn === "" ? undefined : accountish ? idOf(resourceIn) : resourceIn;
          if (!sid) subjectError = `No account named “${subject}”.`;
          else if (rid === null) resourceError = `No account named “${resourceIn}”.`;
          else {
            try {
              const d = s.policy.evaluate(rc.ctx, { subject_id: sid, action, resource: { type, ...(rid !== undefined ? { id: rid } : {}) } });
              const why = d.rule_id === null
                ? html`No rule matches this request, so the answer is <strong>deny</strong> (the default). Add an allow rule that matches it to permit it.`
                : d.effect === "deny"
                  ? html`Rule ${d.rule_id} (“${d.rule_description}”) matches and denies it; a deny wins over every allow.`
                  : html`Rule ${d.rule_id} (“${d.rule_description}”) matches and allows it, and no deny rule matches.`;
              result = html`<div class="card" id="evaluate-result"><p class="verdict">${badge(d.effect, d.effect === "deny" ? "off" : "ok")} <strong>${subject}</strong> ${d.effect === "allow" ? "may" : "may not"} do <code>${action}</code> on ${type}${resourceIn ? html` <strong>${resourceIn}</strong>` : ""}.</p><p>${why}</p>
${d.rule_id !== null && d.rule_id > 0 ? html`<p><a href="/policy/rules/${d.rule_id}/edit">Open rule ${d.rule_id}</a></p>` : ""}</div>`;
            } catch (e) {
              if (!(e instanceof AppError) || (e.code !== "bad_request" && e.code !== "not_found")) throw e;
              status = 400;
              result = html`<p class="error" role="alert">${e.message}</p>`;
            }
          }
          if (subjectError || resourceError) status = 400;
        }
        return rc.render("Evaluate", html`<p><a href="/policy">← Policy</a></p><h1>Evaluate a request</h1>
<p class="muted">Ask the policy engine what it would answer, and which rule decides. Nothing is changed and nothing is audited.</p>
<div class="card"><form method="get" action="/policy/evaluate" class="stack" aria-label="Evaluate">
${field({ name: "subject", label: "Who (subject)", value: subject, required: true, hint: "username or id", id: "eval-subject", autocomplete: "off", error: subjectError })}
${select({ name: "action", label: "Action", value: action, options: ACTIONS.map((a): [string, string] => [a, a]), id: "eval-action" })}
${select({ name: "type", label: "Resource type", value: type || "account", options: RESOURCE_TYPES.map((t): [string, string] => [t, t]), id: "eval-type" })}
${field({ name: "resource", label: "Resource", value: resourceIn, hint: "Optional: the account (username or id) it belongs to, or a token's jti.", id: "eval-resource", autocomplete: "off", error: resourceError })}
<div><button type="submit">Evaluate</button></div></form></div>
${result}`, { current: "/policy", status });
      },
    },
    {
      method: "GET", path: "/policy/new",
      handler: (rc) => editor(rc, { mode: rc.url.searchParams.get("mode") === "json" ? "json" : "form", draft: { enabled: true, priority: 100 } }),
    },
    { method: "POST", path: "/policy/rules", opts: { back: "/policy" }, handler: (rc) => save(rc, undefined) },
    {
      method: "GET", path: "/policy/rules/:id/edit", opts: { back: "/policy" },
      handler: (rc) => {
        const id = ruleIdOf(rc);
        const r = s.policy.get(rc.ctx, id);
        const mode = rc.url.searchParams.get("mode") === "json" ? "json" : "form";
        const draft = editable(r) as RuleDraft;
        return editor(rc, { id, mode, draft: mode === "form" ? withNames(rc, draft) : draft });
      },
    },
    { method: "POST", path: "/policy/rules/:id", opts: { back: "/policy" }, handler: (rc) => save(rc, ruleIdOf(rc)) },
    {
      method: "POST", path: "/policy/rules/:id/toggle", opts: { back: "/policy" },
      handler: (rc) => {
        s.policy.update(rc.ctx, ruleIdOf(rc), { enabled: str(rc.form, "enabled") === "true" });
        return rc.redirect("/policy?notice=rule_updated");
      },
    },
    {
      method: "POST", path: "/policy/rules/:id/delete", opts: { back: "/policy" },
      handler: (rc) => {
        s.policy.remove(rc.ctx, ruleIdOf(rc));
        return rc.redirect("/policy?notice=rule_deleted");
      },
    },
  ];
}
