/**
 * The vault state every serving thread follows, in shared memory:
 *   Int32[0] generation (bumped on every seal/unseal), Int32[1] sealed (1/0),
 *   Int32[2] key length, Int32[3] write lock; bytes 16..16+64: the master key.
 * A thread compares the generation with the one it last applied before every vault
 * use (one atomic load), so a seal through any worker holds in every thread from the
 * next request on. Sealing overwrites the shared key bytes; each thread overwrites
 * its own copies when it applies the change (and is nudged to do so at once).
 */
import type { VaultShare } from "../services/vault";

const KEY_AT = 16;
const KEY_MAX = 64;

export function createVaultMemory(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(KEY_AT + KEY_MAX);
  Atomics.store(new Int32Array(sab), 1, 1); // sealed until the main thread publishes
  return sab;
}

export function createVaultShare(sab: SharedArrayBuffer, nudge: () => void): VaultShare {
  const i32 = new Int32Array(sab);
  const bytes = new Uint8Array(sab, KEY_AT, KEY_MAX);
  const lock = () => { while (Atomics.compareExchange(i32, 3, 0, 1) !== 0) { /* spin */ } };
  const unlock = () => { Atomics.store(i32, 3, 0); };
  return {
    generation: () => Atomics.load(i32, 0),
    read() {
      lock();
      try {
        const gen = Atomics.load(i32, 0);
        if (Atomics.load(i32, 1) === 1) return { gen, key: null };
        return { gen, key: Buffer.from(bytes.slice(0, Atomics.load(i32, 2))) };
      } finally { unlock(); }
    },
    publish(key) {
      if (key && key.length > KEY_MAX) throw new Error("master key too long to share");
      lock();
      let gen: number;
      try {
        bytes.fill(0);
        if (key) {
          bytes.set(key);
          Atomics.store(i32, 2, key.length);
          Atomics.store(i32, 1, 0);
        } else {
          Atomics.store(i32, 2, 0);
          Atomics.store(i32, 1, 1);
        }
        gen = Atomics.add(i32, 0, 1) + 1;
      } finally { unlock(); }
      nudge();
      return gen;
    },
  };
}
