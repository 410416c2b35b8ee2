/**
 * `imessage-gateway send --account ID --to TARGET --text TEXT`: puts the message into the outbox
 * of the state database. A running gateway notices it within a second and sends it when the
 * account streams; a stopped one sends it at its next start. Prints the outbox id.
 */
import { resolveHome } from '../config/index.js';
import { parseTarget } from '../routing/targets.js';
import { GatewayStore, stateDbPath } from '../store/index.js';
import { enqueueOperatorSend, pickAccount } from '../supervisor/enqueue-send.js';
import { lockOwner } from '../supervisor/gateway-lock.js';
import { readStatusFile } from '../supervisor/status-file.js';
import { callGateway, errorOf } from './control-client.js';
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

export async function sendCommand(opts: SendOptions, out: (line: string) => void): Promise<number> {
  if (!opts.to) throw new SendUsageError('send needs --to TARGET');
  if (opts.text === undefined || opts.text.trim() === '') throw new SendUsageError('send needs --text TEXT (not empty)');
  const home = resolveHome();
  parseTarget(opts.to); // a bad target is reported before anything else is touched
  const live = await callGateway(home, 'POST', '/api/send', {
    to: opts.to,
    text: opts.text,
    ...(opts.account ? { account: opts.account } : {}),
    ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
  });
  if (live) {
    if (live.status !== 200) throw new SendUsageError(`send: ${errorOf(live)}`);
    const { id, account, duplicate } = live.body as { id: number; account: string; duplicate: boolean };
    if (opts.json) out(JSON.stringify({ id, account, to: opts.to, duplicate, gatewayRunning: true }));
    else {
      out(String(id));
      process.stderr.write(`${duplicate ? 'already queued (same idempotency key)' : 'queued'} as outbox #${id} for account ${account}; the running gateway sends it when the account streams\n`);
    }
    return 0;
  }
  const accountId = resolveAccount(home, opts);
  const store = GatewayStore.open(stateDbPath(home));
  try {
    const { id, to, duplicate } = enqueueOperatorSend(store, {
      accountId,
      to: opts.to,
      text: opts.text,
      ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
    });
    const running = lockOwner(home) !== undefined;
    if (opts.json) {
      out(JSON.stringify({ id, account: accountId, to, duplicate, gatewayRunning: running }));
    } else {
      out(String(id));
      process.stderr.write(
        `${duplicate ? 'already queued (same idempotency key)' : 'queued'} as outbox #${id} for account ${accountId} → ${to}; ` +
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
  try {
    return pickAccount(opts.account, known);
  } catch (err) {
    throw new SendUsageError(`send: ${(err as Error).message} (--account ID)`);
  }
}
