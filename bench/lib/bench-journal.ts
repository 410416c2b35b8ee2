/**
 * The journal of the bench's references (the durable reader, the minimal relay): one row per
 * message, keyed by its guid, in a WAL database with synchronous=FULL (the state store's settings,
 * src/store/open-database.ts), written in transactions of at most MAX_ROWS rows, so a reference
 * commits no more often and no less durably than the gateway's inbound journal does.
 */
import { SqliteDatabase as Database } from '../../src/sqlite/index.js';

export const MAX_ROWS = 256;

export interface JournalRow {
  guid: string;
  rowid: number;
  payload: string;
}

export class BenchJournal {
  private readonly db: Database;
  private readonly insertMany: (rows: JournalRow[]) => void;
  commits = 0;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec('CREATE TABLE IF NOT EXISTS journal (guid TEXT PRIMARY KEY, rowid INTEGER NOT NULL, payload TEXT NOT NULL, at INTEGER NOT NULL)');
    const insert = this.db.prepare<[string, number, string, number]>('INSERT OR IGNORE INTO journal (guid, rowid, payload, at) VALUES (?, ?, ?, ?)');
    this.insertMany = this.db.transaction((rows: JournalRow[]) => {
      const at = Date.now();
      for (const r of rows) insert.run(r.guid, r.rowid, r.payload, at);
    }).immediate;
  }

  /** Durable once it returns: transactions of at most MAX_ROWS rows. */
  write(rows: JournalRow[]): void {
    for (let i = 0; i < rows.length; i += MAX_ROWS) {
      this.insertMany(rows.length <= MAX_ROWS ? rows : rows.slice(i, i + MAX_ROWS));
      this.commits++;
    }
  }

  close(): void {
    this.db.close();
  }
}

/** Splits a stream's chunks into complete lines (a partial last line waits for the next chunk). */
export class LineSplitter {
  private carry: Buffer | null = null;

  /** The complete lines of `chunk` (with what was carried over), as strings. */
  push(chunk: Buffer): string[] {
    let buf = chunk;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    const lines: string[] = [];
    let start = 0;
    for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      if (nl > start) lines.push(buf.toString('utf8', start, nl));
      start = nl + 1;
    }
    if (start < buf.length) this.carry = Buffer.from(buf.subarray(start));
    return lines;
  }

  /** What is left at EOF. */
  end(): string[] {
    const rest = this.carry ? [this.carry.toString('utf8')] : [];
    this.carry = null;
    return rest.filter((l) => l.length > 0);
  }
}

interface MessageNotification {
  method?: string;
  params?: { message?: { guid?: string; id?: number } };
}

/** The journal row of an imsg `message` notification line, or undefined for anything else. */
export function journalRowOf(line: string): JournalRow | undefined {
  const obj = JSON.parse(line) as MessageNotification;
  if (obj.method !== 'message') return undefined;
  const m = obj.params?.message;
  if (!m) return undefined;
  return { guid: String(m.guid ?? `rowid-${m.id ?? 0}`), rowid: Number(m.id ?? 0), payload: JSON.stringify(m) };
}
