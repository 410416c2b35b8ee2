/**
 * A small synchronous SQLite connection over Node's built-in `node:sqlite` (no native module, so
 * nothing to build at install time and nothing to rebuild after a Node upgrade). It gives the
 * store and the simulator the few conveniences they rely on:
 * - `pragma()` returning rows or, with `{ simple: true }`, the first column of the first row;
 * - statements typed by their parameters and rows, with `pluck()` for single-column reads;
 * - `transaction(fn)`: a function that runs `fn` in BEGIN (DEFERRED by default, `.immediate` for
 *   writers) … COMMIT, rolling back when `fn` throws; nested calls become SAVEPOINTs.
 * The busy timeout is set with `PRAGMA busy_timeout`, which every supported Node accepts.
 */
import { existsSync } from 'node:fs';
import type { DatabaseSync, StatementSync, SQLInputValue } from 'node:sqlite';
import { nodeSqlite } from './load-node-sqlite.js';

export type SqliteValue = SQLInputValue;
export type SqliteParams = readonly SqliteValue[] | [Readonly<Record<string, SqliteValue>>];

export interface SqliteOpenOptions {
  /** Open read-only (the file must exist). */
  readonly?: boolean;
  /** Refuse to create a missing file. */
  fileMustExist?: boolean;
  /** Milliseconds a statement waits on a lock held by another connection (default 5000). */
  timeout?: number;
  /** Integers come back as bigint (exact above 2^53). */
  safeIntegers?: boolean;
}

export interface RunResult {
  changes: number;
  lastInsertRowid: number;
}

export type SqliteErrorOpen = Error & { code: 'SQLITE_CANTOPEN' };

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Write commits of one connection, and how long each blocked the thread: a transaction from BEGIN
 * to COMMIT (its statements and the disk flush), or a `run()` outside any transaction (SQLite's
 * autocommit: a commit of its own).
 */
export interface CommitStats {
  commits: number;
  /** Time spent in them, in all. */
  totalMs: number;
  /** The longest one. */
  maxMs: number;
  /** How many took over 5 ms / 20 ms / 50 ms (a turn of the event loop blocked that long). */
  over5Ms: number;
  over20Ms: number;
  over50Ms: number;
}

function newCommitStats(): CommitStats {
  return { commits: 0, totalMs: 0, maxMs: 0, over5Ms: 0, over20Ms: 0, over50Ms: 0 };
}

function countCommit(stats: CommitStats, ms: number): void {
  stats.commits++;
  stats.totalMs += ms;
  if (ms > stats.maxMs) stats.maxMs = ms;
  if (ms > 5) stats.over5Ms++;
  if (ms > 20) stats.over20Ms++;
  if (ms > 50) stats.over50Ms++;
}

/** A prepared statement; `P` is its parameter list, `R` what a row reads as. */
export class Statement<P extends unknown[] = unknown[], R = unknown> {
  constructor(
    protected readonly stmt: StatementSync,
    private readonly plucked: boolean = false,
    /** Counts a run() outside a transaction (an autocommit) with its duration. */
    private readonly onAutocommit?: (ms: number) => void,
    private readonly inTransaction?: () => boolean,
  ) {}

  /** A statement whose rows read as their first column's value. */
  pluck(): Statement<P, R> {
    return new Statement<P, R>(this.stmt, true, this.onAutocommit, this.inTransaction);
  }

  run(...params: P): RunResult {
    if (this.onAutocommit && this.inTransaction && !this.inTransaction()) {
      const t0 = performance.now();
      const r = this.stmt.run(...(params as SqliteValue[]));
      this.onAutocommit(performance.now() - t0);
      return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
    }
    const r = this.stmt.run(...(params as SqliteValue[]));
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
  }

  get(...params: P): R | undefined {
    const row = this.stmt.get(...(params as SqliteValue[]));
    if (row === undefined) return undefined;
    return (this.plucked ? firstColumn(row) : row) as R;
  }

  all(...params: P): R[] {
    const rows = this.stmt.all(...(params as SqliteValue[]));
    return (this.plucked ? rows.map(firstColumn) : rows) as R[];
  }
}

function firstColumn(row: Record<string, unknown>): unknown {
  for (const key in row) return row[key];
  return undefined;
}

export interface Transaction<A extends unknown[], T> {
  (...args: A): T;
  deferred: (...args: A) => T;
  immediate: (...args: A) => T;
  exclusive: (...args: A) => T;
}

export class SqliteDatabase {
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly safeIntegers: boolean;
  private depth = 0;
  private isOpen = true;
  private readonly stats = newCommitStats();
  private readonly countAutocommit = (ms: number): void => this.committed(ms);
  private commitListener: (() => void) | undefined;
  private readonly inTx = (): boolean => this.depth > 0;

  constructor(path: string, options: SqliteOpenOptions = {}) {
    const { DatabaseSync } = nodeSqlite();
    if ((options.fileMustExist || options.readonly) && path !== ':memory:' && !existsSync(path)) {
      throw Object.assign(new Error(`unable to open database file: ${path} does not exist`), {
        code: 'SQLITE_CANTOPEN',
      }) as SqliteErrorOpen;
    }
    this.path = path;
    this.safeIntegers = options.safeIntegers ?? false;
    // Foreign keys off unless asked for (SQLite's own default, which node:sqlite flips).
    this.db = new DatabaseSync(path, { readOnly: options.readonly ?? false, enableForeignKeyConstraints: false });
    try {
      this.db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.timeout ?? DEFAULT_TIMEOUT_MS))}`);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  get open(): boolean {
    return this.isOpen;
  }

  /** Write commits so far and how long they blocked (a copy). */
  commitStats(): CommitStats {
    return { ...this.stats };
  }

  /** Told after every write commit (a transaction's COMMIT or an autocommit `run()`); one listener. */
  onCommit(listener: (() => void) | undefined): void {
    this.commitListener = listener;
  }

  private committed(ms: number): void {
    countCommit(this.stats, ms);
    this.commitListener?.();
  }

  /** True while a transaction started through `transaction()` is running. */
  get inTransaction(): boolean {
    return this.depth > 0;
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): Statement<P, R> {
    const stmt = this.db.prepare(sql);
    if (this.safeIntegers) stmt.setReadBigInts(true);
    return new Statement<P, R>(stmt, false, this.countAutocommit, this.inTx);
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  /** `PRAGMA <text>`: the rows it returns, or with `simple` the first column of the first row. */
  pragma(text: string, options: { simple: true }): unknown;
  pragma(text: string, options?: { simple?: false }): Array<Record<string, unknown>>;
  pragma(text: string, options: { simple?: boolean } = {}): unknown {
    const stmt = this.db.prepare(`PRAGMA ${text}`);
    if (this.safeIntegers) stmt.setReadBigInts(true);
    const rows = stmt.all() as Array<Record<string, unknown>>;
    if (!options.simple) return rows;
    const first = rows[0];
    return first === undefined ? undefined : firstColumn(first);
  }

  transaction<A extends unknown[], T>(fn: (...args: A) => T): Transaction<A, T> {
    const run = (begin: string) => (...args: A): T => this.runInTransaction(begin, () => fn(...args));
    const deferred = run('BEGIN DEFERRED');
    return Object.assign((...args: A) => deferred(...args), {
      deferred,
      immediate: run('BEGIN IMMEDIATE'),
      exclusive: run('BEGIN EXCLUSIVE'),
    });
  }

  close(): void {
    if (!this.isOpen) return;
    this.db.close();
    this.isOpen = false;
  }

  private runInTransaction<T>(begin: string, body: () => T): T {
    if (this.depth > 0) return this.runInSavepoint(body);
    const t0 = performance.now();
    this.db.exec(begin);
    this.depth = 1;
    try {
      const result = body();
      this.db.exec('COMMIT');
      this.committed(performance.now() - t0);
      return result;
    } catch (err) {
      this.rollback('ROLLBACK');
      throw err;
    } finally {
      this.depth = 0;
    }
  }

  private runInSavepoint<T>(body: () => T): T {
    const name = `nested_${this.depth}`;
    this.db.exec(`SAVEPOINT ${name}`);
    this.depth += 1;
    try {
      const result = body();
      this.db.exec(`RELEASE ${name}`);
      return result;
    } catch (err) {
      this.rollback(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw err;
    } finally {
      this.depth -= 1;
    }
  }

  /** Rolls back what is still open; SQLite may already have done so (a failed COMMIT, SQLITE_FULL). */
  private rollback(sql: string): void {
    try {
      this.db.exec(sql);
    } catch {
      // "no transaction is active": SQLite rolled back on its own; the original error is what matters
    }
  }
}
