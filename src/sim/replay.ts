/**
 * Replay mode (`imsg-sim rpc --replay FILE`, IMSG_SIM_REPLAY): a benchmark knob, not a faithful
 * behaviour. After the first `watch.subscribe` of the process has been answered, the file's lines
 * (pre-generated `message` notifications, one JSON object per line, exactly as imsg writes them)
 * are written to stdout as fast as the pipe accepts them, honouring back-pressure. The
 * subscription id in each line is rewritten to the live subscription's id when they differ.
 * Everything else (probes, sends, the database watch) keeps working normally, interleaved at line
 * boundaries.
 */
import fs from 'node:fs';
import { once } from 'node:events';

const CHUNK_BYTES = 256 * 1024;
const SUBSCRIPTION_PREFIX = /^(\{"jsonrpc":"2\.0","method":"[A-Za-z.]+","params":\{"subscription":)(\d+)/gm;

export interface ReplayTarget {
  write(chunk: Buffer | string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

export interface ReplayResult {
  lines: number;
  bytes: number;
  ms: number;
}

/** The subscription id of the file's first notification line, or undefined. */
function firstSubscriptionId(text: string): number | undefined {
  SUBSCRIPTION_PREFIX.lastIndex = 0;
  const m = SUBSCRIPTION_PREFIX.exec(text);
  SUBSCRIPTION_PREFIX.lastIndex = 0;
  return m ? Number(m[2]) : undefined;
}

function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * Writes FILE's lines to `out` for subscription `subscription`. `stopped()` is checked between
 * chunks (a hang or exit fault silences the replay too). Resolves when the file is written.
 */
export async function replayFile(
  file: string,
  subscription: number,
  out: ReplayTarget & NodeJS.EventEmitter,
  stopped: () => boolean = () => false,
): Promise<ReplayResult> {
  const started = Date.now();
  const fd = await fs.promises.open(file, 'r');
  let lines = 0;
  let bytes = 0;
  let rewrite: boolean | undefined;
  let carry: Buffer = Buffer.alloc(0);
  try {
    for (;;) {
      if (stopped()) break;
      const buf = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await fd.read(buf, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      const lastNl = data.lastIndexOf(0x0a);
      if (lastNl === -1) {
        carry = Buffer.from(data);
        continue;
      }
      carry = Buffer.from(data.subarray(lastNl + 1));
      let piece: Buffer | string = data.subarray(0, lastNl + 1);
      if (rewrite === undefined) {
        const id = firstSubscriptionId(piece.toString('utf8', 0, Math.min(piece.length, 200)));
        rewrite = id !== undefined && id !== subscription;
      }
      if (rewrite) piece = piece.toString('utf8').replace(SUBSCRIPTION_PREFIX, `$1${subscription}`);
      lines += typeof piece === 'string' ? piece.split('\n').length - 1 : countLines(piece);
      bytes += piece.length;
      if (!out.write(piece)) await once(out, 'drain');
    }
    if (carry.length > 0 && !stopped()) {
      // A last line without its newline: complete it, as every line on the wire ends in one.
      const tail = rewrite ? carry.toString('utf8').replace(SUBSCRIPTION_PREFIX, `$1${subscription}`) : carry;
      out.write(Buffer.concat([Buffer.from(tail), Buffer.from('\n')]));
      lines++;
      bytes += tail.length + 1;
    }
  } finally {
    await fd.close();
  }
  return { lines, bytes, ms: Date.now() - started };
}
