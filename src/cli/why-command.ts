/**
 * `imessage-gateway why GUID [--account ID] [--json]`: why a message was dispatched or dropped:
 * its journal state, drop reason and the trace of access-policy rules that fired. Asked of the
 * running gateway's control API, or read from the state database when no gateway runs
 * (decision-source.ts). Exit 0: found; 1: the guid is not in the journal (unknown, or pruned);
 * 2: usage. `status --message GUID` answers the same.
 */
import { parseArgs } from 'node:util';
import { resolveHome } from '../config/index.js';
import { messageDecisions } from './decision-source.js';
import { decisionLines } from './decision-text.js';

export class WhyUsageError extends Error {}

export async function whyCommand(args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { account: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [guid, ...extra] = positionals;
  if (guid === undefined || guid.trim() === '') {
    throw new WhyUsageError('why needs the guid of a message (`status ACCOUNT` lists recent ones; so do the logs and the dashboard)');
  }
  if (extra.length > 0) throw new WhyUsageError(`why takes one guid (got also ${extra.map((e) => JSON.stringify(e)).join(', ')})`);
  const account = values.account?.trim().toLowerCase() || undefined;
  return printDecisions(await messageDecisions(resolveHome(), guid.trim(), account), { guid: guid.trim(), account, json: values.json === true }, out, err);
}

/** Prints one message's decisions (`why`, `status --message`); exit 0 when found, 1 when not. */
export function printDecisions(
  rows: Awaited<ReturnType<typeof messageDecisions>>,
  asked: { guid: string; account: string | undefined; json: boolean },
  out: (line: string) => void,
  err: (line: string) => void,
): number {
  if (asked.json) {
    out(JSON.stringify({ decisions: rows }, null, 2));
    return rows.length > 0 ? 0 : 1;
  }
  if (rows.length === 0) {
    err(
      `no journal row for message ${asked.guid}${asked.account ? ` on account ${asked.account}` : ''}: ` +
        'check the guid (and --account); settled rows are pruned after the retention period',
    );
    return 1;
  }
  for (const r of rows) for (const line of decisionLines(r)) out(line);
  return 0;
}
