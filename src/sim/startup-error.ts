import { serveLines } from './line-reader.js';
import type { Output } from './output.js';
import { permissionBanner } from './permission-banner.js';
import { parseRequestLine } from './request-parser.js';
import { internalError } from './rpc-errors.js';

/**
 * imsg 0.8.2+ RPCStartupErrorServer: the database could not be opened. Every request (with or
 * without id) gets -32603 with the permission banner; parse errors stay parse errors; exit 1 at
 * EOF.
 */
export async function runStartupErrorServer(
  dbPath: string,
  input: NodeJS.ReadableStream,
  output: Output,
): Promise<number> {
  const error = internalError(permissionBanner(dbPath)).toJSON();
  await serveLines(input, (line) => {
    const parsed = parseRequestLine(line);
    if (parsed.kind === 'error') {
      output.response({ jsonrpc: '2.0', id: parsed.id, error: parsed.error.toJSON() });
      return;
    }
    output.response({ jsonrpc: '2.0', id: parsed.id, error });
  });
  return 1;
}
