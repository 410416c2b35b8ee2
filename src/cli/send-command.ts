/**
 * `imessage-gateway send --account ID --to TARGET --text TEXT [--file PATH]`: a running gateway
 * takes the message through its control API (`POST /api/send`) and sends it when the account
 * streams; for a stopped gateway it goes straight into the outbox of the state database (holding
 * the home's lock while it writes, so a gateway starting meanwhile waits for the row) and is sent
 * at the next start. Prints the outbox id.
 */
import { resolve } from 'node:path';
import { type AccountConfig, resolveHome } from '../config/index.js';
import { DEFAULT_STAGING_DIR, stageOutboundFile } from '../workers/index.js';
import { parseTarget } from '../routing/targets.js';
import { enqueueOperatorSend, pickAccount } from '../supervisor/enqueue-send.js';
import { readStatusFile } from '../supervisor/status-file.js';
import { configSourceRoles, mergedIntoMap } from '../supervisor/source-roles.js';
import { changeThroughGateway, errorOf } from './control-client.js';
import { hasConfig, loadConfigSource } from './config-source.js';
import { withStateDb } from './state-db.js';

export interface SendOptions {
  account?: string;
  to?: string;
  text?: string;
  config?: string;
  idempotencyKey?: string;
  json?: boolean;
  file?: string;
}

export class SendUsageError extends Error {}

export async function sendCommand(opts: SendOptions, out: (line: string) => void): Promise<number> {
  if (!opts.to) throw new SendUsageError('send needs --to TARGET');
  const hasText = opts.text !== undefined && opts.text.trim() !== '';
  if (!hasText && !opts.file) throw new SendUsageError('send needs --text TEXT or --file PATH (or both)');
  const home = resolveHome();
  parseTarget(opts.to); // a bad target is reported before anything else is touched
  // A running gateway takes the send through its control API, file and all (it stages the file
  // itself); only a stopped one has its outbox written here, to be sent at its next start.
  // The direct write holds the home's lock, so a gateway starting meanwhile waits for the row
  // instead of draining its outbox just before the row is there (control-client.ts).
  const done = await changeThroughGateway(
    home,
    'POST',
    '/api/send',
    {
      to: opts.to,
      ...(hasText ? { text: opts.text } : {}),
      ...(opts.file ? { file: resolve(opts.file) } : {}),
      ...(opts.account ? { account: opts.account } : {}),
      ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
    },
    () => sendDirectly(home, opts),
  );
  if ('live' in done) {
    const { live } = done;
    if (live.status !== 200) throw new SendUsageError(`send: ${errorOf(live)}`);
    const { id, account, duplicate } = live.body as { id: number; account: string; duplicate: boolean };
    report(out, opts, { id, account, to: opts.to, duplicate, running: true });
    return 0;
  }
  report(out, opts, { ...done.direct, running: false });
  return 0;
}

/** A stopped gateway's outbox, written here (the caller holds the home's lock): sent at its next start. */
async function sendDirectly(home: string, opts: SendOptions): Promise<{ id: number; account: string; to: string; duplicate: boolean }> {
  const { id: accountId, account } = resolveAccount(home, opts);
  let stagedFile: string | undefined;
  if (opts.file) {
    const staged = await stageOutboundFile({
      file: opts.file,
      maxBytes: Math.floor((account?.mediaMaxMb ?? 16) * 1024 * 1024),
      stagingDir: account?.outboundStagingDir ?? DEFAULT_STAGING_DIR,
      ...(account?.remoteHost ? { remoteHost: account.remoteHost } : {}),
    });
    if (!staged.ok) throw new SendUsageError(`send: ${staged.problem}`);
    stagedFile = staged.stagedPath;
  }
  return withStateDb(home, (store) => {
    const { id, to, duplicate } = enqueueOperatorSend(store, {
      accountId,
      to: opts.to ?? '',
      text: opts.text ?? '',
      textChunkLimit: account?.textChunkLimit ?? 4000,
      ...(stagedFile ? { stagedFile } : {}),
      ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
    });
    return { id, account: accountId, to, duplicate };
  });
}

function report(
  out: (line: string) => void,
  opts: SendOptions,
  r: { id: number; account: string; to: string; duplicate: boolean; running: boolean },
): void {
  if (opts.json) {
    out(JSON.stringify({ id: r.id, account: r.account, to: r.to, duplicate: r.duplicate, gatewayRunning: r.running }));
    return;
  }
  out(String(r.id));
  process.stderr.write(
    `${r.duplicate ? 'already queued (same idempotency key)' : 'queued'} as outbox #${r.id} for account ${r.account} → ${r.to}; ` +
      `${r.running ? 'the running gateway sends it when the account streams' : 'the gateway is not running: it is sent at the next start'}\n`,
  );
}

/** The account must exist: in the config, or (for the demo, which has no config file) in the running gateway's status. */
function resolveAccount(home: string, opts: SendOptions): { id: string; account: AccountConfig | undefined } {
  const config = hasConfig(home, opts.config) ? loadConfigSource(home, opts.config).config : undefined;
  const accounts = config?.accounts.filter((a) => a.enabled);
  const known = accounts?.map((a) => a.id) ?? readStatusFile(home)?.accounts.filter((a) => a.enabled).map((a) => a.id) ?? [];
  // The running gateway's rule: an account merged into another (one Messages source) sends nothing.
  const merged = config ? mergedIntoMap(configSourceRoles(config)) : new Map<string, string>();
  try {
    const id = pickAccount(opts.account, known, merged);
    return { id, account: accounts?.find((a) => a.id === id) };
  } catch (err) {
    throw new SendUsageError(`send: ${(err as Error).message} (--account ID)`);
  }
}
