/**
 * Password hashing with Bun.password (Argon2id, PHC strings). The decoy hash lets a
 * login for an unknown user cost the same as a real one (SPEC §12).
 */
export interface Argon2Params {
  time: number;
  memoryKiB: number;
}

export function hashPassword(password: string, p: Argon2Params): Promise<string> {
  return Bun.password.hash(password, { algorithm: "argon2id", memoryCost: p.memoryKiB, timeCost: p.time });
}

export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  try {
    return await Bun.password.verify(password, phc, "argon2id");
  } catch {
    return false;
  }
}

/** True when the stored hash was made with weaker parameters than configured. */
export function needsRehash(phc: string, p: Argon2Params): boolean {
  const m = /^\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(phc);
  if (!m) return true;
  return Number(m[1]) < p.memoryKiB || Number(m[2]) < p.time;
}

const b64 = (n: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(n))).toString("base64").replace(/=+$/, "");

/**
 * A PHC string with the configured parameters, a random salt and a random digest, in
 * exactly the shape `Bun.password.hash` writes (32-byte salt and digest, p=1): verifying
 * any password against it runs one full Argon2id at those parameters and fails (a
 * match is a 2^-256 chance). Built without hashing anything, so a start costs no
 * Argon2id memory (64 MiB at the defaults) and no time.
 */
export function makeDecoyHash(p: Argon2Params): string {
  return `$argon2id$v=19$m=${p.memoryKiB},t=${p.time},p=1$${b64(32)}$${b64(32)}`;
}

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

/** SPEC §2 password policy. Returns a reason, or null when acceptable. */
export function passwordProblem(password: string, username: string): string | null {
  const len = [...password].length;
  if (len < PASSWORD_MIN) return `password must be at least ${PASSWORD_MIN} characters`;
  if (len > PASSWORD_MAX) return `password must be at most ${PASSWORD_MAX} characters`;
  if (password.toLowerCase() === username.toLowerCase()) return "password must not equal the username";
  return null;
}
