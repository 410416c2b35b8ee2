#!/usr/bin/env node
// A transparent stdio proxy in front of imsg-sim for tests: every line the gateway writes
// ({"dir":"in",...}) and every line imsg answers ({"dir":"out",...}) is appended to
// $IMSG_REC_LOG as JSON, so a test can check what was asked and what came back.
// Usage (as cliPath, through a /bin/sh wrapper): recording-imsg.mjs <sim.js> rpc --db ...
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [sim, ...args] = process.argv.slice(2);
const log = process.env.IMSG_REC_LOG;
const record = (dir, line) => {
  if (log) appendFileSync(log, `${JSON.stringify({ dir, line })}\n`);
};
const child = spawn(process.execPath, [sim, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
createInterface({ input: process.stdin }).on('line', (line) => {
  record('in', line);
  child.stdin.write(`${line}\n`);
}).on('close', () => child.stdin.end());
createInterface({ input: child.stdout }).on('line', (line) => {
  record('out', line);
  process.stdout.write(`${line}\n`);
});
child.stdin.on('error', () => undefined);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
