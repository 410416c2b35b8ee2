/**
 * Reads stdin as lines (split on 0x0A, trimmed, blanks skipped; the last line need not end in a
 * newline) and hands them to `onLine` strictly one at a time, in arrival order: a slow handler
 * delays the next line, like imsg's blocking readLine loop. Resolves after EOF once every line
 * has been handled.
 */
export function serveLines(
  input: NodeJS.ReadableStream,
  onLine: (line: string) => Promise<void> | void,
): Promise<void> {
  return new Promise((resolve) => {
    const queue: string[] = [];
    let pending: Buffer[] = [];
    let running = false;
    let ended = false;

    const enqueue = (raw: Buffer): void => {
      const line = raw.toString('utf8').trim();
      if (line !== '') queue.push(line);
    };

    const pump = async (): Promise<void> => {
      if (running) return;
      running = true;
      while (queue.length > 0) {
        const line = queue.shift()!;
        try {
          await onLine(line);
        } catch {
          // Handlers report their own errors; a throw here must not stop the loop.
        }
      }
      running = false;
      if (ended) resolve();
    };

    input.on('data', (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      let start = 0;
      let nl = buf.indexOf(0x0a, start);
      while (nl !== -1) {
        const piece = buf.subarray(start, nl);
        if (pending.length > 0) {
          pending.push(piece);
          enqueue(Buffer.concat(pending));
          pending = [];
        } else enqueue(piece);
        start = nl + 1;
        nl = buf.indexOf(0x0a, start);
      }
      if (start < buf.length) pending.push(Buffer.from(buf.subarray(start)));
      void pump();
    });
    input.on('end', () => {
      if (pending.length > 0) enqueue(Buffer.concat(pending));
      pending = [];
      ended = true;
      void pump();
    });
    input.on('error', () => {
      ended = true;
      void pump();
    });
  });
}
