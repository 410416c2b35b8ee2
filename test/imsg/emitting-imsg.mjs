#!/usr/bin/env node
// A fake `imsg rpc` for the malformed-line privacy test (malformed-line-privacy.test.ts). It answers
// JSON-RPC requests on stdin, one per line:
//   watch.subscribe      -> { subscription: 1 }
//   emit { lines }       -> writes each string of `lines` to stdout verbatim (each followed by a
//                           newline), then answers { ok: true }: once the answer is read, so were they
//   emit-later { lines } -> answers { ok: true } first, then writes `lines` (notifications nobody waits for)
//   exit { lines, code } -> writes `lines` the same way, then exits with `code` without answering
//   anything else        -> {}
import { createInterface } from 'node:readline';

const rl = createInterface({ input: process.stdin });
const write = (text) => process.stdout.write(`${text}\n`);
rl.on('line', (raw) => {
  const req = JSON.parse(raw);
  const params = req.params ?? {};
  switch (req.method) {
    case 'watch.subscribe':
      write(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: { subscription: 1 } }));
      break;
    case 'emit':
      for (const line of params.lines) write(line);
      write(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: { ok: true } }));
      break;
    case 'emit-later':
      write(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: { ok: true } }));
      for (const line of params.lines) write(line);
      break;
    case 'exit':
      for (const line of params.lines) write(line);
      process.stdout.write('', () => process.exit(params.code));
      break;
    default:
      write(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: {} }));
  }
});
rl.on('close', () => process.exit(0));
