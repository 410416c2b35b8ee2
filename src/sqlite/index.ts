export { SqliteDatabase, Statement, type CommitStats, type RunResult, type SqliteOpenOptions, type SqliteValue, type Transaction } from './database.js';
export { isSqliteError, sqliteCodeNumber, sqliteErrorName } from './sqlite-error.js';
export { isSqliteExperimentalWarning, nodeSqlite } from './load-node-sqlite.js';
