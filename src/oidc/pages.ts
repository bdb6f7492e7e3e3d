/**
 * The provider's own pages (logout confirmation, signed out, errors) in MCIAS's look:
 * the console's stylesheet, no inline style or script (CSP default-src 'self').
 */
import type { KoaContextLike } from "oidc-provider";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · MCIAS</title><link rel="icon" href="/static/favicon.svg"><link rel="stylesheet" href="/static/app.css"></head>
<body><main><div class="card narrow">${body}</div></main></body></html>`;
}

export async function logoutPage(ctx: KoaContextLike, form: string): Promise<void> {
  const app = ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId;
  ctx.type = "html";
  ctx.body = page("Sign out", `<h1>Sign out</h1>
<p>Sign out of ${app ? esc(app) : "this application"} through MCIAS?</p>
${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>`);
}

export async function loggedOutPage(ctx: KoaContextLike): Promise<void> {
  ctx.type = "html";
  ctx.body = page("Signed out", `<h1>Signed out</h1><p>You are signed out of the application.</p><p><a href="/">MCIAS dashboard</a></p>`);
}

export async function errorPage(ctx: KoaContextLike, out: Record<string, string>): Promise<void> {
  ctx.type = "html";
  const rows = Object.entries(out).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(String(v))}</dd>`).join("");
  ctx.body = page("Sign-in error", `<h1>Sign-in error</h1><p>The application's sign-in request was refused.</p><dl>${rows}</dl><p><a href="/">MCIAS dashboard</a></p>`);
}
