/** Command agents for end-to-end tests: small node scripts that record what they were handed. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * An agent that appends `{id, text}` of each envelope to `log` and replies `<prefix><text>`
 * (`replies` copies of it, numbered when more than one).
 */
export function recordingAgent(
  dir: string,
  log: string,
  options: { prefix?: string; replies?: number; delayMs?: number; text?: string; media?: string[] } = {},
) {
  const script = join(dir, 'recording-agent.mjs');
  writeFileSync(
    script,
    `import fs from 'node:fs';
let data = '';
process.stdin.on('data', (c) => (data += c));
process.stdin.on('end', () => {
  const env = JSON.parse(data);
  fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ id: env.id, text: env.text, history: env.history.map((h) => h.text), session: env.sessionKey, attachments: env.attachments }) + '\\n');
  const n = ${options.replies ?? 1};
  const text = ${options.text !== undefined ? JSON.stringify(options.text) : `${JSON.stringify(options.prefix ?? 'ack: ')} + env.text`};
  const media = ${JSON.stringify(options.media ?? [])};
  const replies = Array.from({ length: n }, (_, i) => ({ text: n > 1 ? text + ' #' + (i + 1) : text, ...(media.length ? { media } : {}) }));
  setTimeout(() => process.stdout.write(JSON.stringify({ replies })), ${options.delayMs ?? 0});
});
`,
  );
  return { id: 'main', name: 'Bot', default: true, handler: { type: 'command', argv: [process.execPath, script], timeoutMs: 20_000 } };
}

export interface AgentLogEntry {
  id: string;
  text: string;
  history: string[];
  session: string;
  attachments: Array<{ path: string; mimeType: string; sizeBytes: number; ingested: boolean; sha256?: string; problem?: string }>;
}

export function agentLog(log: string): AgentLogEntry[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AgentLogEntry);
}

/**
 * A command agent that fails every attempt (exit 1, `model unavailable` on stderr) while `failFlag`
 * exists, else replies `ack: <text>`: an agent turn that fails all its attempts, then recovers.
 */
export function flakyAgent(dir: string, failFlag: string) {
  const script = join(dir, 'flaky-agent.mjs');
  writeFileSync(
    script,
    `import fs from 'node:fs';
let data = '';
process.stdin.on('data', (c) => (data += c));
process.stdin.on('end', () => {
  if (fs.existsSync(${JSON.stringify(failFlag)})) { process.stderr.write('model unavailable\\n'); process.exit(1); }
  const env = JSON.parse(data);
  process.stdout.write(JSON.stringify({ replies: [{ text: 'ack: ' + env.text }] }));
});
`,
  );
  return { list: [{ id: 'main', name: 'Bot', default: true, handler: { type: 'command', argv: [process.execPath, script], timeoutMs: 10_000 } }] };
}

export interface GatedLogEntry {
  event: 'start' | 'end';
  sender: string;
  text: string;
  session: string;
}

/**
 * A command agent that logs `start` when handed a turn and `end` just before it replies
 * `ack: <text>`. A turn from `slowSender` holds (polling, inside the agent) until the file `gate`
 * exists: a slow agent call for one sender whose end the test decides. Log lines are appended in
 * the order they happen.
 */
export function gatedAgent(dir: string, log: string, gate: string, slowSender: string) {
  const script = join(dir, 'gated-agent.mjs');
  writeFileSync(
    script,
    `import fs from 'node:fs';
const note = (event, env) => fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ event, sender: env.sender.handle, text: env.text, session: env.sessionKey }) + '\\n');
let data = '';
process.stdin.on('data', (c) => (data += c));
process.stdin.on('end', () => {
  const env = JSON.parse(data);
  note('start', env);
  const reply = () => { note('end', env); process.stdout.write(JSON.stringify({ replies: [{ text: 'ack: ' + env.text }] })); };
  if (env.sender.handle !== ${JSON.stringify(slowSender)}) return reply();
  const timer = setInterval(() => { if (fs.existsSync(${JSON.stringify(gate)})) { clearInterval(timer); reply(); } }, 20);
});
`,
  );
  return { id: 'main', name: 'Bot', default: true, handler: { type: 'command', argv: [process.execPath, script], timeoutMs: 30_000 } };
}

export function gatedLog(log: string): GatedLogEntry[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as GatedLogEntry);
}

export interface ActionLogEntry {
  id: string;
  text: string;
  guid: string;
  replyTo?: { guid: string; text?: string; sender?: string };
  threadOriginator?: { guid: string };
}

/**
 * A command agent for agent actions (issue 17): logs each envelope's id, text, guid, replyTo and
 * threadOriginator, and answers with `answers[text]` (a reply object such as
 * `{"replies":[{"text":"x","thread":true}],"reaction":"like"}`), or `ack: <text>` by default.
 */
export function actionAgent(dir: string, log: string, answers: Record<string, unknown>) {
  const script = join(dir, 'action-agent.mjs');
  writeFileSync(
    script,
    `import fs from 'node:fs';
let data = '';
process.stdin.on('data', (c) => (data += c));
process.stdin.on('end', () => {
  const env = JSON.parse(data);
  fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ id: env.id, text: env.text, guid: env.imsg.guid, replyTo: env.replyTo, threadOriginator: env.threadOriginator }) + '\\n');
  const answers = ${JSON.stringify(answers)};
  process.stdout.write(JSON.stringify(answers[env.text] ?? { replies: [{ text: 'ack: ' + env.text }] }));
});
`,
  );
  return { id: 'main', name: 'Bot', default: true, handler: { type: 'command', argv: [process.execPath, script], timeoutMs: 20_000 } };
}

export function actionLog(log: string): ActionLogEntry[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ActionLogEntry);
}

export interface TurnLogEntry {
  event: 'start' | 'end';
  /** The turn's envelope id (its latest message's). */
  id: string;
  text: string;
  /** The earlier messages of a collected turn (empty for a turn of one message). */
  collected: Array<{ id: string; guid: string; text: string; sender: string; createdAt: string }>;
  session: string;
  pid: number;
}

/**
 * A command agent for messages.queue tests. It logs `start` with the turn's envelope (its id, text
 * and `collected`), then holds the turn while the file `hold-<text>` exists in `dir` (`text`: the
 * turn's latest message), then logs `end` and replies `ack: <text>` plus ` [+N collected]` for a
 * collected turn. It fails (exit 1, `model unavailable`) every attempt while `dir/fail` exists. A
 * held agent whose gateway died (kill -9) exits without replying.
 */
export function turnAgent(dir: string, log: string) {
  const script = join(dir, 'turn-agent.mjs');
  writeFileSync(
    script,
    `import fs from 'node:fs';
import path from 'node:path';
const dir = ${JSON.stringify(dir)};
const parent = process.ppid;
let data = '';
process.stdin.on('data', (c) => (data += c));
process.stdin.on('end', () => {
  const env = JSON.parse(data);
  const collected = (env.collected ?? []).map((c) => ({ id: c.id, guid: c.imsg.guid, text: c.text, sender: c.sender.handle, createdAt: c.timestamps.createdAt }));
  const note = (event) => fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ event, id: env.id, text: env.text, collected, session: env.sessionKey, pid: process.pid }) + '\\n');
  note('start');
  if (fs.existsSync(path.join(dir, 'fail'))) { process.stderr.write('model unavailable\\n'); process.exit(1); }
  const hold = path.join(dir, 'hold-' + env.text);
  const reply = () => {
    note('end');
    const more = collected.length > 0 ? ' [+' + collected.length + ' collected]' : '';
    process.stdout.write(JSON.stringify({ replies: [{ text: 'ack: ' + env.text + more }] }));
  };
  if (!fs.existsSync(hold)) return reply();
  const timer = setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
    if (!fs.existsSync(hold)) { clearInterval(timer); reply(); }
  }, 20);
});
`,
  );
  return { id: 'main', name: 'Bot', default: true, handler: { type: 'command', argv: [process.execPath, script], timeoutMs: 60_000 } };
}

export function turnLog(log: string): TurnLogEntry[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TurnLogEntry);
}
