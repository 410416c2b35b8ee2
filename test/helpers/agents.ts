/** Command agents for end-to-end tests: small node scripts that record what they were handed. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * An agent that appends `{id, text}` of each envelope to `log` and replies `<prefix><text>`
 * (`replies` copies of it, numbered when more than one).
 */
export function recordingAgent(dir: string, log: string, options: { prefix?: string; replies?: number; delayMs?: number } = {}) {
  const script = join(dir, 'recording-agent.mjs');
  writeFileSync(
    script,
    `import fs from 'node:fs';
let data = '';
process.stdin.on('data', (c) => (data += c));
process.stdin.on('end', () => {
  const env = JSON.parse(data);
  fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ id: env.id, text: env.text, history: env.history.map((h) => h.text), session: env.sessionKey }) + '\\n');
  const n = ${options.replies ?? 1};
  const text = ${JSON.stringify(options.prefix ?? 'ack: ')} + env.text;
  const replies = Array.from({ length: n }, (_, i) => ({ text: n > 1 ? text + ' #' + (i + 1) : text }));
  setTimeout(() => process.stdout.write(JSON.stringify({ replies })), ${options.delayMs ?? 0});
});
`,
  );
  return { id: 'main', name: 'Bot', default: true, handler: { type: 'command', argv: [process.execPath, script], timeoutMs: 20_000 } };
}

export function agentLog(log: string): Array<{ id: string; text: string; history: string[]; session: string }> {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; text: string; history: string[]; session: string });
}
