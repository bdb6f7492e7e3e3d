/**
 * Structured logging: one JSON object per line on stderr. Callers pass fields
 * explicitly; nothing here ever serializes a request, header or body wholesale.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(msg: string, f?: LogFields): void;
  info(msg: string, f?: LogFields): void;
  warn(msg: string, f?: LogFields): void;
  error(msg: string, f?: LogFields): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Lines written in one turn of the event loop leave in one write(2): under load a
 * syscall per request line cost a fifth of a request's CPU (issue 23 profile). Lines
 * still left at exit are flushed by the 'exit' handler, so an orderly exit — and a
 * fatal error that calls process.exit — loses nothing; a kill -9 can lose the last
 * turn's lines (the audit trail is in the database, not here). `decorate` lets a
 * worker thread tag its lines.
 */
export function bufferedStderr(decorate: (line: string) => string = (l) => l): { write(line: string): void; flush(): void } {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!pending.length) return;
    const out = pending.join("");
    pending = [];
    process.stderr.write(out);
  };
  process.on("exit", flush);
  return {
    write(line) {
      pending.push(decorate(line) + "\n");
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

export function createLogger(opts: { level?: LogLevel; write?: (line: string) => void } = {}): Logger {
  const min = ORDER[opts.level ?? ((Bun.env.MCIAS_LOG_LEVEL as LogLevel | undefined) ?? "info")] ?? 20;
  const write = opts.write ?? bufferedStderr().write;
  const emit = (level: LogLevel) => (msg: string, f?: LogFields) => {
    if (ORDER[level] < min) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...f }));
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
