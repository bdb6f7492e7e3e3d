/**
 * The client IP (SPEC §3): the socket peer, unless the peer is a trusted proxy, in
 * which case the right-most X-Forwarded-For entry that is not itself a trusted proxy.
 */
import { BlockList, isIP } from "node:net";

export function createProxyMatcher(trusted: string[]): (ip: string) => boolean {
  if (trusted.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of trusted) {
    const [addr, bits] = entry.split("/") as [string, string | undefined];
    const type = isIP(addr) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  // Answers remembered per address: the same few peers ask on every request, and the
  // BlockList check was a visible part of a request's CPU. Bounded: cleared when full.
  const seen = new Map<string, boolean>();
  return (ip: string) => {
    let hit = seen.get(ip);
    if (hit === undefined) {
      const plain = stripMapped(ip);
      const fam = isIP(plain);
      hit = fam !== 0 && list.check(plain, fam === 6 ? "ipv6" : "ipv4");
      if (seen.size >= 4096) seen.clear();
      seen.set(ip, hit);
    }
    return hit;
  };
}

/** "::ffff:127.0.0.1" → "127.0.0.1", so v4 rules apply to v4-mapped peers. */
export function stripMapped(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

export function resolveClientIp(peer: string | null, xff: string | null, isTrusted: (ip: string) => boolean): string | null {
  if (peer === null) return null;
  const p = stripMapped(peer);
  if (!xff || !isTrusted(p)) return p;
  const hops = xff.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = stripMapped(hops[i]!);
    if (isIP(hop) === 0) return p; // garbage in the header: trust only the socket
    if (!isTrusted(hop)) return hop;
  }
  return p;
}
