/**
 * "Has anything been committed since I last looked?", asked on every authenticated
 * request (services/liveState.ts), so it must be both exact and nearly free.
 *
 * Exact: the answer moves with every commit by ANY connection — another process such
 * as `mcias db`, a raw sqlite3 edit, a second connection here — and with every row this
 * connection writes (even inside a transaction that is later rolled back).
 *
 * Free: in WAL mode every commit appends at least one frame to the WAL and rewrites the
 * WAL-index header in the `-shm` file that all connections map (SQLite's documented
 * WAL-index format: 48 bytes, written to the second copy, a barrier, then the first).
 * Within one WAL its mxFrame only grows; a WAL restart changes its salts (one is
 * incremented, one random). So the first header copy is never the same before and
 * after a commit, and comparing its twelve words from our own view of that mapping
 * costs nanoseconds, where `PRAGMA data_version` opens a read transaction — two
 * fcntl(2) calls, ~5 µs, measured as a third of a forward-auth check's CPU (issue 23).
 * (Its iChange counter alone is NOT enough: a second process that recovers the index
 * restarts it — test/unit/generation.test.ts has that case.) Holding the mapping is
 * safe: SQLite truncates a -shm file only when no process has the database open, and
 * ours has until `close()`, which stops reading first. `total_changes()` (no
 * transaction, no lock) covers this connection's own writes. Without a -shm file (not
 * WAL, or an in-memory database) the PRAGMA answers.
 */
import type { Database } from "bun:sqlite";
import { existsSync } from "node:fs";

export interface Generation {
  (): string;
  /** Stops reading the -shm mapping (before the connection closes). */
  close(): void;
}

export function createGeneration(db: Database): Generation {
  const own = db.query<{ c: number }, []>("SELECT total_changes() AS c");
  const pragma = db.query<{ v: number; c: number }, []>(
    "SELECT (SELECT data_version FROM pragma_data_version) AS v, total_changes() AS c");
  const viaPragma = () => {
    const r = pragma.get()!;
    return `d${r.v}:${r.c}`;
  };
  const shmPath = db.filename && db.filename !== ":memory:" ? `${db.filename}-shm` : "";
  let header: Uint32Array | null = null;
  const walMode = db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode === "wal";
  if (walMode && shmPath && existsSync(shmPath)) {
    // A read of the database makes sure our connection has opened (and so holds) the -shm file.
    pragma.get();
    try {
      const bytes = Bun.mmap(shmPath, { size: 64 });
      // Byte 12 is isInit: the header is live (it is, after the read above).
      if (bytes.byteLength >= 48 && bytes[12] === 1) header = new Uint32Array(bytes.buffer, bytes.byteOffset, 12);
    } catch {
      header = null; // no mapping on this platform: the PRAGMA answers
    }
  }
  const seen = new Uint32Array(12);
  let epoch = 0;
  const gen = (() => {
    if (!header) return viaPragma();
    let moved = false;
    for (let i = 0; i < 12; i++) {
      const w = header[i]!;
      if (w !== seen[i]) { seen[i] = w; moved = true; }
    }
    // A read torn by a commit in progress only counts one move too many: never too few.
    if (moved) epoch++;
    return `w${epoch}:${own.get()!.c}`;
  }) as Generation;
  gen.close = () => { header = null; };
  return gen;
}
