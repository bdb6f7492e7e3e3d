/**
 * The page shell and small shared components. Every page is a full document so the
 * console works without JavaScript; htmx (hx-boost) swaps the body when present.
 */
import type { Principal } from "../services";
import { CSRF_FIELD } from "./csrf";
import { html, type Html, type Interpolation } from "./html";

// htmx settings as a meta tag (not a script): no injected <style> (CSP), no eval, no
// page snapshots in localStorage (pages may show a secret once), and 4xx/5xx pages
// are swapped in like any page (they are full HTML documents).
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  historyCacheSize: 0,
  refreshOnHistoryMiss: true,
  selfRequestsOnly: true,
  responseHandling: [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "[45]..", swap: true, error: false },
  ],
});

export interface NavItem { href: string; label: string }

export interface PageOptions {
  title: string;
  csrf: string;
  principal?: Principal | null;
  nav?: NavItem[];
  current?: string;
  notice?: string | null;
  error?: string | null;
}

export function page(o: PageOptions, body: Interpolation): Html {
  const headers = JSON.stringify({ "X-CSRF-Token": o.csrf });
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<meta name="referrer" content="no-referrer">
<title>${o.title} · MCIAS</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/app.css">
<script src="/static/htmx.min.js" defer></script>
<script src="/static/app.js" defer></script>
<script src="/static/passkey.js" defer></script>
</head>
<body hx-boost="true" hx-headers="${headers}">
<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="bar">
<a class="brand" href="/">MCIAS</a>
${o.principal && o.nav ? html`<button type="button" class="nav-toggle" aria-expanded="false" aria-controls="main-nav" hidden>Menu</button>
<nav aria-label="Main" id="main-nav"><ul>${o.nav.map((n) => html`<li><a href="${n.href}"${o.current === n.href ? html` aria-current="page"` : ""}>${n.label}</a></li>`)}</ul></nav>
<div class="who"><a href="/profile">${o.principal.username}</a>
<form method="post" action="/logout">${csrfInput(o.csrf)}<button type="submit">Log out</button></form></div>` : ""}
</div></header>
<main id="main">
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ""}
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ""}
${body}
</main>
</body>
</html>`;
}

export const csrfInput = (token: string) => html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;

/** A POST form; every form carries the CSRF token. */
export function postForm(action: string, csrf: string, inner: Interpolation, opts: { cls?: string; confirm?: string; label?: string } = {}): Html {
  return html`<form method="post" action="${action}" class="${opts.cls ?? "stack"}"${opts.confirm ? html` data-confirm="${opts.confirm}"` : ""}${opts.label ? html` aria-label="${opts.label}"` : ""}>${csrfInput(csrf)}${inner}</form>`;
}

/** A one-button form (revoke, delete, toggle). */
export function actionButton(action: string, csrf: string, label: string, opts: { cls?: string; confirm?: string; hidden?: Record<string, string> } = {}): Html {
  const hidden = Object.entries(opts.hidden ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  return postForm(action, csrf, html`${hidden}<button type="submit" class="${opts.cls ?? "small secondary"}">${label}</button>`, { cls: "inline-action", confirm: opts.confirm });
}

let fieldSeq = 0;
/** A labelled input; `error` is shown beside it (and the input marked invalid). */
export function field(o: { name: string; label: string; type?: string; value?: string; required?: boolean; hint?: string; autocomplete?: string; inputmode?: string; pattern?: string; id?: string; min?: number; max?: number; error?: string | null }): Html {
  const id = o.id ?? `f-${o.name}-${++fieldSeq % 100000}`;
  const hintId = o.hint ? `${id}-hint` : null;
  const errId = o.error ? `${id}-error` : null;
  const described = [errId, hintId].filter(Boolean).join(" ");
  return html`<div class="field${o.error ? " invalid" : ""}"><label for="${id}">${o.label}</label>
<input id="${id}" name="${o.name}" type="${o.type ?? "text"}"${o.value !== undefined ? html` value="${o.value}"` : ""}${o.required ? html` required` : ""}${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ""}${o.inputmode ? html` inputmode="${o.inputmode}"` : ""}${o.pattern ? html` pattern="${o.pattern}"` : ""}${o.min !== undefined ? html` min="${o.min}"` : ""}${o.max !== undefined ? html` max="${o.max}"` : ""}${described ? html` aria-describedby="${described}"` : ""}${o.error ? html` aria-invalid="true"` : ""}>
${o.error ? html`<span class="field-error" id="${errId}" role="alert">${o.error}</span>` : ""}
${o.hint ? html`<span class="hint" id="${hintId}">${o.hint}</span>` : ""}</div>`;
}

/**
 * Puts a service's refusal beside the form field it is about, in words (never a regex).
 * Returns the field's name and the message; `field` null = a message for the whole form.
 */
export function fieldError(message: string, fields: Record<string, RegExp>): { field: string | null; message: string } {
  for (const [name, re] of Object.entries(fields)) {
    if (re.test(message)) return { field: name, message: friendly(name, message) };
  }
  return { field: null, message: friendly("", message) };
}

function friendly(name: string, message: string): string {
  if (name === "username" && /must match|\^\[/.test(message)) {
    return "Use 1–64 characters: lowercase letters, digits, “.”, “_” or “-”, starting with a letter or a digit.";
  }
  if (/invalid role name/.test(message)) return "Role names use lowercase letters, digits, “.”, “_” or “-”, starting with a letter or a digit.";
  return message.charAt(0).toUpperCase() + message.slice(1) + (message.endsWith(".") ? "" : ".");
}

export function select(o: { name: string; label: string; options: [string, string][]; value?: string; id?: string }): Html {
  const id = o.id ?? `f-${o.name}-${++fieldSeq % 100000}`;
  return html`<div class="field"><label for="${id}">${o.label}</label><select id="${id}" name="${o.name}">${o.options.map(([v, l]) => html`<option value="${v}"${v === (o.value ?? "") ? html` selected` : ""}>${l}</option>`)}</select></div>`;
}

export function empty(message: string): Html {
  return html`<p class="empty">${message}</p>`;
}

/** A table, or the empty state. `wide` tables scroll sideways on a phone instead of squeezing. */
export function table(headers: string[], rows: Html[], emptyMessage: string, caption?: string, wide = false): Html {
  if (rows.length === 0) return empty(emptyMessage);
  return html`<div class="table-wrap" role="region" aria-label="${caption ?? "Table"}" tabindex="0"><table${wide ? html` class="wide"` : ""}>${caption ? html`<caption class="visually-hidden">${caption}</caption>` : ""}<thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

export function badge(text: string, kind?: "ok" | "off" | "warn"): Html {
  return html`<span class="badge${kind ? ` ${kind}` : ""}">${text}</span>`;
}

export function statusBadge(status: string): Html {
  return badge(status, status === "active" ? "ok" : status === "deleted" ? "off" : "warn");
}

/** A secret shown once, with a copy button (revealed by app.js). */
export function secretBox(id: string, label: string, value: string): Html {
  return html`<div class="field"><span id="${id}-label" class="hint">${label}</span>
<div class="secret" role="group" aria-labelledby="${id}-label"><code id="${id}">${value}</code><button type="button" class="small secondary" data-copy="${id}" hidden>Copy</button></div></div>`;
}

/** "2026-11-23T21:26:12.000Z" → "2026-11-23 21:26:12 UTC" (still unambiguous, easier to read). */
export function time(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time datetime="${iso}">${iso.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC")}</time>`;
}
