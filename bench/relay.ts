/**
 * Scenario 3's reference, the minimal durable relay, run as its own Node process: it spawns
 * `<cli> rpc --db <chat.db>` (the same simulator wrapper the gateway gets), subscribes (`watch.subscribe`, imsg
 * defaults), and for each `message` notification: journal first (the batched WAL journal of
 * bench-journal.ts: the lines of one read chunk in transactions of at most 256 rows, fsync'd),
 * then a POST of the message to the agent URL over a keep-alive `node:http` agent (at most 20
 * connections, as many as the gateway's per-peer lanes have senders in the bench). No policy, no
 * session lanes, no envelope, no completion record: what a durable consumer that forwards each
 * message cannot do without. Arguments: cliPath, chat.db path, journal path, agent URL. Prints "ready" once
 * subscribed; exits on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { BenchJournal, journalRowOf, LineSplitter, type JournalRow } from './lib/bench-journal.js';

const [cliPath, dbPath, journalPath, agentUrl] = process.argv.slice(2);
if (!cliPath || !dbPath || !journalPath || !agentUrl) {
  process.stderr.write('usage: relay.js CLI_PATH CHAT_DB JOURNAL_PATH AGENT_URL\n');
  process.exit(2);
}
const journal = new BenchJournal(journalPath);
const url = new URL(agentUrl);
const agent = new Agent({ keepAlive: true, maxSockets: 20 });

function post(body: string): void {
  const req = request(
    { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
    (res) => {
      res.resume();
    },
  );
  req.on('error', (err) => process.stderr.write(`relay: POST failed: ${err.message}\n`));
  req.end(body);
}

const child = spawn(cliPath, ['rpc', '--db', dbPath], { shell: false, stdio: ['pipe', 'pipe', 'inherit'] });
const lines = new LineSplitter();
child.stdout.on('data', (chunk: Buffer) => {
  const rows: JournalRow[] = [];
  for (const line of lines.push(chunk)) {
    if (!line.includes('"method"')) {
      // The answer to watch.subscribe (the only request).
      if (line.includes('"result"')) process.stdout.write('ready\n');
      else process.stderr.write(`relay: watch.subscribe failed: ${line}\n`);
      continue;
    }
    const row = journalRowOf(line);
    if (row) rows.push(row);
  }
  if (rows.length === 0) return;
  journal.write(rows);
  for (const row of rows) post(row.payload);
});
child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'watch.subscribe', params: {} })}\n`);

const stop = () => {
  child.kill('SIGTERM');
  journal.close();
  agent.destroy();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
child.on('exit', () => {
  journal.close();
  process.exit(0);
});
