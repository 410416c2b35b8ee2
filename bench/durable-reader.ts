/**
 * Scenario 1's durable reference, run as its own Node process: like the parse-only reader
 * (limit-reader.ts) it reads imsg notification lines from stdin and JSON-parses each one, and it
 * also inserts each message into a batched WAL journal (synchronous=FULL, the lines of one read
 * chunk in transactions of at most 256 rows) before reading on: the least any durable consumer
 * of `imsg rpc` must do. Argument: the journal's path. Prints one JSON line:
 * {"events","commits","ms"} (ms between the first byte and the last commit).
 */
import { BenchJournal, journalRowOf, LineSplitter, type JournalRow } from './lib/bench-journal.js';

const journal = new BenchJournal(process.argv[2] ?? 'durable-reader.db');
const lines = new LineSplitter();
let events = 0;
let firstByteAt = 0;

function take(batch: string[]): void {
  const rows: JournalRow[] = [];
  for (const line of batch) {
    const row = journalRowOf(line);
    if (row) rows.push(row);
  }
  if (rows.length > 0) journal.write(rows);
  events += rows.length;
}

process.stdin.on('data', (chunk: Buffer) => {
  if (firstByteAt === 0) firstByteAt = performance.now();
  take(lines.push(chunk));
});

process.stdin.on('end', () => {
  take(lines.end());
  const endAt = performance.now();
  journal.close();
  process.stdout.write(`${JSON.stringify({ events, commits: journal.commits, ms: endAt - firstByteAt })}\n`);
});
