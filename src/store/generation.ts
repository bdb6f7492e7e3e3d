/**
 * "Has anything been committed since I last looked?", asked on every authenticated
 * request (services/liveState.ts), so it must be both exact and cheap.
 *
 * Exact: the answer moves with every commit by ANY connection — another process such
 * as `mcias db`, a raw sqlite3 edit, a second connection here — and with every row this
 * connection writes (even inside a transaction that is later rolled back).
 *
 * Cheap: in WAL mode every commit appends at least one frame to the WAL and rewrites the
 * WAL-index header at the start of the `-shm` file every connection maps (SQLite's
 * documented WAL-index format: 48 bytes, written to the second copy, a barrier, then the
 * first). Within one WAL its mxFrame only grows; a WAL restart changes its salts (one
 * incremented, one random). So the first header copy is never the same before and after
 * a commit. Reading it is one pread(2) of 48 bytes (~0.4 µs), where `PRAGMA
 * data_version` opens a read transaction — two fcntl(2) calls and a statement, ~5 µs,
 * measured as a third of a forward-auth check's CPU (issue 23). Its iChange counter
 * alone is NOT enough: a second process that recovers the index restarts it
 * (test/unit/generation.test.ts has that case). `total_changes()` (no transaction, no
 * lock) covers this connection's own writes. Without a -shm file (not WAL, an in-memory
 * database) the PRAGMA answers.
 *
 * The descriptor is never closed before the process exits, deliberately: closing ANY
 * descriptor of a file drops every POSIX record lock this process holds on it —
 * SQLite's own locks on the -shm file included — after which another process may
 * re-initialise the index under our connection (a first version mapped the file with
 * Bun.mmap, which closes its descriptor; test/security/audit-chain.test.ts's kill -9
 * restarts then crashed the server with SIGBUS). SQLite keeps its per-process inode
 * table for the same reason. One descriptor per open store: one per serving thread.
 */
import type { Database } from "bun:sqlite";
import { existsSync, openSync, readSync } from "node:fs";

export interface Generation {
  (): string;
  /** Stops reading the -shm file (the connection is closing). */
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
  let fd: number | null = null;
  const walMode = db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode === "wal";
  if (walMode && shmPath && existsSync(shmPath)) {
    // A read makes sure our connection has opened and initialised the -shm file first.
    pragma.get();
    try {
      fd = openSync(shmPath, "r");
    } catch {
      fd = null; // unreadable: the PRAGMA answers
    }
  }
  const header = new Uint32Array(12);
  const bytes = new Uint8Array(header.buffer);
  const seen = new Uint32Array(12);
  let epoch = 0;
  const gen = (() => {
    if (fd === null || readSync(fd, bytes, 0, 48, 0) !== 48 || bytes[12] !== 1) return viaPragma();
    let moved = false;
    for (let i = 0; i < 12; i++) {
      const w = header[i]!;
      if (w !== seen[i]) { seen[i] = w; moved = true; }
    }
    // A read torn by a commit in progress only counts one move too many: never too few.
    if (moved) epoch++;
    return `w${epoch}:${own.get()!.c}`;
  }) as Generation;
  // Stops reading; the descriptor stays open (see above).
  gen.close = () => { fd = null; };
  return gen;
}
