/**
 * `imessage-gateway send --account ID --to TARGET --text TEXT`: puts the message into the outbox
 * of the state database. A running gateway notices it within a second and sends it when the
 * account streams; a stopped one sends it at its next start. Prints the outbox id.
 */
import { randomUUID } from 'node:crypto';
import { resolveHome } from '../config/index.js';
import { chatKeyOf } from '../routing/reply-target.js';
import { parseTarget } from '../routing/targets.js';
import { GatewayStore, stateDbPath } from '../store/index.js';
import { lockOwner } from '../supervisor/gateway-lock.js';
import { readStatusFile } from '../supervisor/status-file.js';
import { hasConfig, loadConfigSource } from './config-source.js';

export interface SendOptions {
  account?: string;
  to?: string;
  text?: string;
  config?: string;
  idempotencyKey?: string;
  json?: boolean;
}

export class SendUsageError extends Error {}

export function sendCommand(opts: SendOptions, out: (line: string) => void): number {
  if (!opts.to) throw new SendUsageError('send needs --to TARGET');
  if (opts.text === undefined || opts.text.trim() === '') throw new SendUsageError('send needs --text TEXT (not empty)');
  const home = resolveHome();
  const accountId = resolveAccount(home, opts);
  const target = parseTarget(opts.to);
  const store = GatewayStore.open(stateDbPath(home));
  try {
    const { id, inserted } = store.enqueueOutbox({
      accountId,
      idempotencyKey: opts.idempotencyKey ? `cli:${opts.idempotencyKey}` : `cli:${randomUUID()}`,
      chatKey: chatKeyOf(target),
      target: JSON.stringify(target),
      text: opts.text,
      source: 'cli',
    });
    const running = lockOwner(home) !== undefined;
    if (opts.json) {
      out(JSON.stringify({ id, account: accountId, to: target.to, duplicate: !inserted, gatewayRunning: running }));
    } else {
      out(String(id));
      process.stderr.write(
        `${inserted ? 'queued' : 'already queued (same idempotency key)'} as outbox #${id} for account ${accountId} → ${target.to}; ` +
          `${running ? 'the running gateway sends it when the account streams' : 'the gateway is not running: it is sent at the next start'}\n`,
      );
    }
    return 0;
  } finally {
    store.close();
  }
}

/** The account must exist: in the config, or (for the demo, which has no config file) in the running gateway's status. */
function resolveAccount(home: string, opts: SendOptions): string {
  const known: string[] = [];
  if (hasConfig(home, opts.config)) {
    known.push(...loadConfigSource(home, opts.config).config.accounts.filter((a) => a.enabled).map((a) => a.id));
  } else {
    known.push(...(readStatusFile(home)?.accounts.filter((a) => a.enabled).map((a) => a.id) ?? []));
  }
  const wanted = opts.account?.toLowerCase() ?? (known.length === 1 ? known[0] : undefined);
  if (!wanted) {
    throw new SendUsageError(
      known.length > 1 ? `send needs --account ID (one of: ${known.join(', ')})` : 'send needs --account ID (no configured account found)',
    );
  }
  if (!known.includes(wanted)) {
    throw new SendUsageError(`unknown or disabled account "${wanted}"${known.length ? `; known: ${known.join(', ')}` : ''}`);
  }
  return wanted;
}
