/**
 * The OpenID Connect interaction a sign-in returns to (src/oidc/): the login page and
 * the passkey sign-in carry only its id, never a URL, so nothing here can redirect
 * anywhere but this server's own /oidc/interaction/<id>.
 */
export function oidcReturn(v: string | null | undefined): string | null {
  return v && /^[A-Za-z0-9_-]{1,64}$/.test(v) ? v : null;
}

export const oidcInteraction = (uid: string) => `/oidc/interaction/${uid}`;
