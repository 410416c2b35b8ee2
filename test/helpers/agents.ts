/** Command agents for end-to-end tests: small node scripts that record what they were handed. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A command agent from a script body: node runs it once the envelope has been read from stdin
 * (`env`; `fs` and `path` are imported, `prelude` runs before stdin is read) and it writes the
 * reply JSON to stdout. Every agent of these tests is built on it.
 */
export function scriptAgent(dir: string, name: string, body: string, options: { timeoutMs?: number; prelude?: string } = {}) {
  const script = join(dir, `${name}.mjs`);
  writeFileSync(
    script,
    `import fs from 'node:fs';
import path from 'node:path';
${options.prelude ?? ''}
let data = '';
process.stdin.on('data', (c) => (data += c));
process.stdin.on('end', () => {
  const env = JSON.parse(data);
${body}
});
`,
  );
  return { id: 'main', name: 'Bot', default: true, handler: { type: 'command', argv: [process.execPath, script], timeoutMs: options.timeoutMs ?? 20_000 } };
}

/** The lines of a JSON-lines file, parsed (none when it does not exist yet). */
export function jsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/**
 * An agent that appends `{id, text}` of each envelope to `log` and replies `<prefix><text>`
 * (`replies` copies of it, numbered when more than one).
 */
export function recordingAgent(
  dir: string,
  log: string,
  options: { prefix?: string; replies?: number; delayMs?: number; text?: string; media?: string[] } = {},
) {
  return scriptAgent(
    dir,
    'recording-agent',
    `  fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ id: env.id, text: env.text, history: env.history.map((h) => h.text), session: env.sessionKey, attachments: env.attachments }) + '\\n');
  const n = ${options.replies ?? 1};
  const text = ${options.text !== undefined ? JSON.stringify(options.text) : `${JSON.stringify(options.prefix ?? 'ack: ')} + env.text`};
  const media = ${JSON.stringify(options.media ?? [])};
  const replies = Array.from({ length: n }, (_, i) => ({ text: n > 1 ? text + ' #' + (i + 1) : text, ...(media.length ? { media } : {}) }));
  setTimeout(() => process.stdout.write(JSON.stringify({ replies })), ${options.delayMs ?? 0});`,
  );
}

export interface AgentLogEntry {
  id: string;
  text: string;
  history: string[];
  session: string;
  attachments: Array<{ path: string; mimeType: string; sizeBytes: number; ingested: boolean; sha256?: string; problem?: string }>;
}

export function agentLog(log: string): AgentLogEntry[] {
  return jsonLines<AgentLogEntry>(log);
}

/**
 * A command agent that fails every attempt (exit 1, `model unavailable` on stderr) while `failFlag`
 * exists, else replies `ack: <text>`: an agent turn that fails all its attempts, then recovers.
 */
export function flakyAgent(dir: string, failFlag: string) {
  const agent = scriptAgent(
    dir,
    'flaky-agent',
    `  if (fs.existsSync(${JSON.stringify(failFlag)})) { process.stderr.write('model unavailable\\n'); process.exit(1); }
  process.stdout.write(JSON.stringify({ replies: [{ text: 'ack: ' + env.text }] }));`,
    { timeoutMs: 10_000 },
  );
  return { list: [agent] };
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
  return scriptAgent(
    dir,
    'gated-agent',
    `  note('start', env);
  const reply = () => { note('end', env); process.stdout.write(JSON.stringify({ replies: [{ text: 'ack: ' + env.text }] })); };
  if (env.sender.handle !== ${JSON.stringify(slowSender)}) return reply();
  const timer = setInterval(() => { if (fs.existsSync(${JSON.stringify(gate)})) { clearInterval(timer); reply(); } }, 20);`,
    {
      timeoutMs: 30_000,
      prelude: `const note = (event, env) => fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ event, sender: env.sender.handle, text: env.text, session: env.sessionKey }) + '\\n');`,
    },
  );
}

export function gatedLog(log: string): GatedLogEntry[] {
  return jsonLines<GatedLogEntry>(log);
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
  return scriptAgent(
    dir,
    'action-agent',
    `  fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ id: env.id, text: env.text, guid: env.imsg.guid, replyTo: env.replyTo, threadOriginator: env.threadOriginator }) + '\\n');
  const answers = ${JSON.stringify(answers)};
  process.stdout.write(JSON.stringify(answers[env.text] ?? { replies: [{ text: 'ack: ' + env.text }] }));`,
  );
}

export function actionLog(log: string): ActionLogEntry[] {
  return jsonLines<ActionLogEntry>(log);
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
  return scriptAgent(
    dir,
    'turn-agent',
    `  const collected = (env.collected ?? []).map((c) => ({ id: c.id, guid: c.imsg.guid, text: c.text, sender: c.sender.handle, createdAt: c.timestamps.createdAt }));
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
  }, 20);`,
    { timeoutMs: 60_000, prelude: `const dir = ${JSON.stringify(dir)};\nconst parent = process.ppid;` },
  );
}

export function turnLog(log: string): TurnLogEntry[] {
  return jsonLines<TurnLogEntry>(log);
}
