/** Runs the real gateway on a pseudo-terminal of its own (util-linux `script`), as under an operator's shell. */
import { spawn } from 'node:child_process';
import { GATEWAY_BIN } from './gateway-process.js';

/**
 * `imessage-gateway ARGS…` on a fresh terminal. The arguments travel as positional parameters of
 * the shell script, never interpolated into its text.
 */
export function startOnTerminal(home: string, args: string[], env: Record<string, string> = {}) {
  const quoted = args.map((_, i) => `"$GW_ARG${i}"`).join(' ');
  const argEnv = Object.fromEntries(args.map((a, i) => [`GW_ARG${i}`, a]));
  const proc = spawn('script', ['-qfec', `exec "$GW_NODE" "$GW_BIN" ${quoted}`, '/dev/null'], {
    env: { ...process.env, SHELL: '/bin/sh', IMESSAGE_GATEWAY_HOME: home, GW_NODE: process.execPath, GW_BIN: GATEWAY_BIN, ...argEnv, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  return { proc, output: () => output };
}
