/** Reading and parsing the JSON5 file. Syntax errors carry the line and column. */
import JSON5 from 'json5';
import { ConfigError } from './errors.js';
import { ConfigFileProblem, readConfigText } from './read-config-text.js';
import type { GatewayConfig } from './types.js';
import { validateConfigObject, type ConfigOptions } from './validate.js';

const EXAMPLE = '{ imessage: { dmPolicy: "pairing" }, agents: { list: [{ id: "main", handler: { type: "echo" } }] } }';

interface JSON5SyntaxError extends SyntaxError {
  lineNumber?: number;
  columnNumber?: number;
}

/** Parse JSON5 text and validate it. Pure: no file system, no environment (besides homeDir). */
export function parseConfig(text: string, source: string, opts: ConfigOptions = {}): GatewayConfig {
  let raw: unknown;
  try {
    raw = JSON5.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const e = err as JSON5SyntaxError;
    const detail = (e.message ?? String(err)).replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '');
    throw new ConfigError(source, [
      {
        path: '',
        message: `JSON5 syntax error: ${detail}`,
        ...(typeof e.lineNumber === 'number' ? { line: e.lineNumber } : {}),
        ...(typeof e.columnNumber === 'number' ? { column: e.columnNumber } : {}),
      },
    ]);
  }
  return validateConfigObject(raw, source, opts);
}

/**
 * Read and parse a config file; a missing or unreadable file is a ConfigError too, and so is
 * anything but a regular file of at most 1 MiB (a device, a FIFO, a directory: read-config-text.ts).
 */
export function loadConfigFile(path: string, opts: ConfigOptions = {}): GatewayConfig {
  let text: string;
  try {
    text = readConfigText(path);
  } catch (err) {
    if (!(err instanceof ConfigFileProblem)) throw err;
    const message =
      err.code === 'missing'
        ? `no config file at ${path}. Create it (see docs/configuration.md), for example with: ${EXAMPLE}; ` +
          'or point to another file with --config FILE or $IMESSAGE_GATEWAY_HOME'
        : err.message;
    throw new ConfigError(path, [{ path: '', message }]);
  }
  return parseConfig(text, path, opts);
}
