/**
 * `imessage-gateway quarantine list [--account ID] [--limit N] [--payload] [--json]`: the inbound
 * messages the gateway set aside (invalid, refused by the journal, failed in handling, implausible
 * row id), newest first: asked of the running gateway's control API while it runs, read from the
 * state database only when none runs (quarantine-source.ts).
 * The payload as received may hold message text: shown only with --payload.
 */
import { parseArgs } from 'node:util';
import { resolveHome } from '../config/index.js';
import { ListingRefusedError } from './pairing-source.js';
import { quarantineListing } from './quarantine-source.js';

export class QuarantineUsageError extends Error {}

const DEFAULT_LIMIT = 50;

export async function quarantineCommand(args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'list') throw new QuarantineUsageError(`quarantine needs list (got ${JSON.stringify(action ?? '')})`);
  const { values } = parseArgs({
    args: rest,
    options: { account: { type: 'string' }, limit: { type: 'string' }, payload: { type: 'boolean' }, json: { type: 'boolean' } },
  });
  const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new QuarantineUsageError('--limit must be a positive integer');
  const account = values.account?.trim().toLowerCase() || undefined;
  let rows;
  try {
    ({ rows } = await quarantineListing(resolveHome(), { ...(account ? { account } : {}), limit, payload: values.payload === true }));
  } catch (e) {
    if (!(e instanceof ListingRefusedError)) throw e;
    err(e.message);
    return 1;
  }
  if (values.json) {
    out(JSON.stringify({ quarantine: rows }, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    out(`no quarantined messages${account ? ` for account ${account}` : ''}`);
    return 0;
  }
  for (const r of rows) {
    const where = [r.rowid !== null ? `row ${r.rowid}` : 'row ?', r.guid ? `guid ${r.guid}` : '', r.chatId !== null ? `chat ${r.chatId}` : '']
      .filter(Boolean)
      .join(', ');
    out(`#${r.id} ${r.account} ${r.at} [${r.stage}] ${where}: ${r.reason}`);
    if (values.payload === true && r.payload) out(`    payload (${r.payloadBytes} bytes): ${r.payload}`);
  }
  return 0;
}
