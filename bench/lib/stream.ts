/**
 * The pre-generated inbound stream shared by scenarios 1 and 2: N `message` notifications exactly
 * as imsg writes them. The rows are written into a throwaway chat.db with the simulator's own
 * writer, read back through the simulator's own payload builder (readMessages, the code the RPC
 * server uses) and serialised with its JSON encoder, so every line is byte for byte what
 * `imsg rpc` would print for subscription 1.
 */
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeLine, initSimDb, readMessages, SimWriter, type InjectOptions } from '../../src/sim/index.js';

export interface GeneratedStream {
  file: string;
  lines: number;
  bytes: number;
  ms: number;
}

const WORDS = ['hello', 'can', 'you', 'check', 'the', 'order', 'status', 'for', 'tomorrow', 'please', 'thanks', 'meeting', 'at', 'noon', 'ok', 'see', 'later'];

function textFor(i: number): string {
  const n = 4 + (i % 9);
  const words: string[] = [];
  for (let k = 0; k < n; k++) words.push(WORDS[(i * 7 + k * 3) % WORDS.length]!);
  return `bench-${i} ${words.join(' ')}`;
}

/** Senders: phone numbers and a few e-mail handles, all direct chats (the common case). */
export function senderFor(i: number, senders: number): string {
  const k = i % senders;
  return k % 10 === 9 ? `user${k}@example.com` : `+1555${String(10000000 + k).slice(1)}`;
}

export function generateStream(dir: string, count: number, senders = 500): GeneratedStream {
  const started = Date.now();
  const db = join(dir, 'stream-source.db');
  initSimDb(db);
  const writer = new SimWriter(db);
  try {
    writer.db.pragma('synchronous = OFF');
    const BATCH = 5000;
    for (let i = 0; i < count; i += BATCH) {
      const list: InjectOptions[] = [];
      for (let k = i; k < Math.min(count, i + BATCH); k++) list.push({ from: senderFor(k, senders), text: textFor(k) });
      writer.injectMany(list);
    }
  } finally {
    writer.close();
  }
  const file = join(dir, 'stream.ndjson');
  const fd = openSync(file, 'w');
  let lines = 0;
  try {
    let after = 0;
    for (;;) {
      const page = readMessages(db, { afterRowid: after, limit: 5000 });
      if (page.length === 0) break;
      let out = '';
      for (const message of page) {
        out += encodeLine({ jsonrpc: '2.0', method: 'message', params: { subscription: 1, message } });
        after = message['id'] as number;
        lines++;
      }
      writeSync(fd, out);
    }
  } finally {
    closeSync(fd);
  }
  return { file, lines, bytes: statSync(file).size, ms: Date.now() - started };
}
