/**
 * The audit hash chain (SPEC §18): hash = SHA-256(prev_hash ‖ canonical row), hex.
 * The first row chains from 64 zeros. The canonical row is the JSON array of every
 * column but the hash, in a fixed order, so any edit of any field — or a deleted,
 * inserted or reordered row — changes a hash that a later verification recomputes.
 *
 * What it does not stop: someone who rewrites the whole chain from the changed row on
 * (no key is involved, as SPEC fixes). docs/SECURITY.md says how to anchor the head.
 */
import { createHash } from "node:crypto";

export const GENESIS = "0".repeat(64);

export interface ChainFields {
  id: number;
  time: string;
  type: string;
  actor_id: string | null;
  actor: string | null;
  target_id: string | null;
  target: string | null;
  ip: string | null;
  details: string;
}

export function canonicalRow(r: ChainFields): string {
  return JSON.stringify([r.id, r.time, r.type, r.actor_id, r.actor, r.target_id, r.target, r.ip, r.details]);
}

export function chainHash(prev: string, r: ChainFields): string {
  return createHash("sha256").update(prev).update(canonicalRow(r)).digest("hex");
}

export interface ChainVerdict { ok: boolean; rows: number; first_bad_id?: number }
