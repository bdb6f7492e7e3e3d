/**
 * Secrets are never command-line arguments (SPEC §9): in a terminal they are
 * prompted for without echo; otherwise each prompt takes the next line of stdin.
 */
let pending: string[] | null = null;

async function stdinLines(): Promise<string[]> {
  if (pending === null) {
    const text = await Bun.stdin.text();
    pending = text.split(/\r?\n/);
  }
  return pending;
}

function readHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let value = "";
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new Error("interrupted"));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

export async function readSecret(prompt: string, opts: { confirm?: boolean } = {}): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await readHidden(prompt);
    if (opts.confirm) {
      const again = await readHidden("Repeat: ");
      if (again !== first) throw new Error("the two entries differ");
    }
    return first;
  }
  const lines = await stdinLines();
  const line = lines.shift();
  if (line === undefined || (line === "" && lines.length === 0)) throw new Error("expected a secret on standard input");
  return line;
}
