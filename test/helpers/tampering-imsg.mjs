#!/usr/bin/env node
// A stdio proxy in front of imsg-sim that turns its answers into the bad input of issue 12 ("Bad
// input"), so an end-to-end test can show that none of it ends a running account. Switches (env):
//   IMSG_TAMPER_VERSION=0.99.1        initialize/status results report this version
//   IMSG_TAMPER_DROP=a,b              these fields are deleted from initialize/status results
//   IMSG_TAMPER_UNKNOWN_NOTIFICATION=1  an unknown notification goes out before every `message`
//   IMSG_TAMPER_PROBE_CODE=-32099     from the 3rd chats.list on, answer it with this error code
//   IMSG_TAMPER_FAKE_V1=1             answer `initialize` itself as imsg 0.15 would (protocol v1),
//                                     whatever the simulator behind speaks (e.g. the 0.9 profile)
// Usage (as cliPath, through a /bin/sh wrapper): tampering-imsg.mjs <sim.js> rpc --db ...
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const [sim, ...args] = process.argv.slice(2);
const env = process.env;
const drop = (env.IMSG_TAMPER_DROP ?? '').split(',').filter(Boolean);
const methodOf = new Map();
let chatsLists = 0;
const out = (obj) => process.stdout.write(`${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n`);

const child = spawn(process.execPath, [sim, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
createInterface({ input: process.stdin })
  .on('line', (line) => {
    let req;
    try {
      req = JSON.parse(line);
    } catch {
      child.stdin.write(`${line}\n`);
      return;
    }
    if (env.IMSG_TAMPER_FAKE_V1 && req.method === 'initialize') {
      out({ jsonrpc: '2.0', id: req.id, result: { protocol_version: 1, version: env.IMSG_TAMPER_VERSION ?? '0.15.10', methods: ['initialize', 'status', 'chats.list', 'messages.history', 'watch.subscribe', 'watch.unsubscribe', 'send'], database: { ready: true } } });
      return;
    }
    if (req.method === 'chats.list') {
      chatsLists++;
      if (env.IMSG_TAMPER_PROBE_CODE && chatsLists > 2) {
        out({ jsonrpc: '2.0', id: req.id, error: { code: Number(env.IMSG_TAMPER_PROBE_CODE), message: 'Something new' } });
        return;
      }
    }
    methodOf.set(req.id, req.method);
    child.stdin.write(`${line}\n`);
  })
  .on('close', () => child.stdin.end());

createInterface({ input: child.stdout }).on('line', (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    out(line);
    return;
  }
  if (msg.method === 'message' && env.IMSG_TAMPER_UNKNOWN_NOTIFICATION) {
    out({ jsonrpc: '2.0', method: 'typing.started', params: { subscription: msg.params?.subscription, chat_id: 1 } });
  }
  const method = msg.id !== undefined ? methodOf.get(msg.id) : undefined;
  if ((method === 'initialize' || method === 'status') && msg.result && typeof msg.result === 'object') {
    if (env.IMSG_TAMPER_VERSION) msg.result.version = env.IMSG_TAMPER_VERSION;
    for (const key of drop) delete msg.result[key];
    out(msg);
    return;
  }
  out(line);
});
child.stdin.on('error', () => undefined);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
