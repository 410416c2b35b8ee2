import fs from 'node:fs';
import { serveLines } from './line-reader.js';
import type { Output } from './output.js';
import { parseRequestLine } from './request-parser.js';
import { GENERIC_SQLITE_TEXT, internalError, methodNotFound, SIP_TEXT } from './rpc-errors.js';
import { BRIDGE_METHODS } from './rpc-server.js';

const DB_METHODS = new Set(['chats.list', 'messages.history', 'watch.subscribe', 'send']);

/** Whether `dbPath` is an existing, non-empty regular file (that SQLite then refused). */
export function isNonDatabaseFile(dbPath: string): boolean {
  try {
    const st = fs.statSync(dbPath);
    return st.isFile() && st.size > 0;
  } catch {
    return false;
  }
}

/**
 * imsg 0.9 with a file that is not a database: SQLite opens it lazily, so start-up succeeds and
 * every query fails with a generic Foundation error (-32603), not the permission banner.
 * `watch.unsubscribe` still answers ok; exit 0 at EOF.
 */
export async function runNotADatabaseServer(input: NodeJS.ReadableStream, output: Output): Promise<number> {
  await serveLines(input, (line) => {
    const req = parseRequestLine(line);
    if (req.kind === 'error') {
      output.response({ jsonrpc: '2.0', id: req.id, error: req.error.toJSON() });
      return;
    }
    let error;
    if (DB_METHODS.has(req.method)) error = internalError(GENERIC_SQLITE_TEXT);
    else if (BRIDGE_METHODS.has(req.method)) error = internalError(SIP_TEXT);
    else if (req.method !== 'watch.unsubscribe') error = methodNotFound(req.method);
    if (error) output.response({ jsonrpc: '2.0', id: req.id, error: error.toJSON() });
    else if (req.hasId) output.response({ jsonrpc: '2.0', id: req.id, result: { ok: true } });
  });
  return 0;
}
