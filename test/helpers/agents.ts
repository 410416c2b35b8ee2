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
