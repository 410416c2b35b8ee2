#!/usr/bin/env node
// A fake `imsg rpc` answering from a script, for client tests of bad input (issue 12). The script
// is JSON in $IMSG_SCRIPT: { "<method>": [answer, answer, ...] }, each answer one of
//   { "result": ... }            -> answers with that result
//   { "error": {code, message} } -> answers with that error
//   { "lines": [...], ...}       -> first writes each string of `lines` verbatim, then answers
// The n-th request of a method gets the n-th answer; the last one repeats. Unscripted methods:
// watch.subscribe -> { subscription: 1 }, initialize -> -32601 (a legacy imsg), anything else -> {}.
// Every request line received is appended to $IMSG_SCRIPT_LOG when set.
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const script = JSON.parse(process.env.IMSG_SCRIPT ?? '{}');
const log = process.env.IMSG_SCRIPT_LOG;
const seen = new Map();
const write = (obj) => process.stdout.write(`${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n`);

function answerFor(method) {
  const answers = script[method];
  if (!Array.isArray(answers) || answers.length === 0) {
    if (method === 'watch.subscribe') return { result: { subscription: 1 } };
    if (method === 'initialize') return { error: { code: -32601, message: 'Method not found', data: 'initialize' } };
    return { result: {} };
  }
  const n = seen.get(method) ?? 0;
  seen.set(method, n + 1);
  return answers[Math.min(n, answers.length - 1)];
}

createInterface({ input: process.stdin })
  .on('line', (raw) => {
    if (log) appendFileSync(log, `${raw}\n`);
    const req = JSON.parse(raw);
    const answer = answerFor(req.method);
    for (const line of answer.lines ?? []) write(line);
    if ('error' in answer) write({ jsonrpc: '2.0', id: req.id, error: answer.error });
    else write({ jsonrpc: '2.0', id: req.id, result: answer.result ?? {} });
  })
  .on('close', () => process.exit(0));
