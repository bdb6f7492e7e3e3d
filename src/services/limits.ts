/**
 * Names and limits, defined once: services enforce them, the REST schemas
 * (src/schemas/) are built from them, faces may show them.
 */
export { UUID_RE } from "../crypto/random";
export { PASSWORD_MAX, PASSWORD_MIN } from "../crypto/password";

export const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const ROLE_RE = USERNAME_RE;
export const TAG_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(:[A-Za-z0-9._\/-]{1,128})?$/;
export const MAX_ROLES = 64;
export const MAX_TAGS = 64;

/**
 * Floor for a new master passphrase (SPEC §18): it guards every secret offline, so it is
 * longer than the account-password floor. Counted in characters (code points).
 */
export const MIN_MASTER_PASSPHRASE = 16;

/** An audience (SPEC §18): an app's name or URL, printable ASCII without spaces. */
export const AUDIENCE_RE = /^[\x21-\x7e]{1,256}$/;
