/**
 * `imessage-gateway why GUID [--account ID] [--json]`: why a message was dispatched or dropped,
 * read from the inbound journal in the state database (works whether the gateway runs or not):
 * its state, drop reason and the trace of access-policy rules that fired. Exit 0: found; 1: the
 * guid is not in the journal (unknown, or pruned); 2: usage.
 */
import { parseArgs } from 'node:util';
import { resolveHome } from '../config/index.js';
import { GatewayStore, stateDbPath } from '../store/index.js';
import { decisionView, traceText } from '../supervisor/decision-view.js';

export class WhyUsageError extends Error {}

export function whyCommand(args: string[], out: (line: string) => void, err: (line: string) => void): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { account: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [guid, ...extra] = positionals;
  if (guid === undefined || guid.trim() === '') {
    throw new WhyUsageError('why needs the guid of a message (`status` and the logs show them; the dashboard lists recent ones)');
  }
  if (extra.length > 0) throw new WhyUsageError(`why takes one guid (got also ${extra.map((e) => JSON.stringify(e)).join(', ')})`);
  const account = values.account?.trim().toLowerCase() || undefined;
  const store = GatewayStore.open(stateDbPath(resolveHome()));
  let rows;
  try {
    rows = store.inboundDecisions(guid.trim(), account).map(decisionView);
  } finally {
    store.close();
  }
  if (values.json) {
    out(JSON.stringify({ decisions: rows }, null, 2));
    return rows.length > 0 ? 0 : 1;
  }
  if (rows.length === 0) {
    err(
      `no journal row for message ${guid.trim()}${account ? ` on account ${account}` : ''}: ` +
        'check the guid (and --account); settled rows are pruned after the retention period',
    );
    return 1;
  }
  for (const r of rows) {
    const outcome = r.state === 'dropped' ? `dropped (${r.reason ?? 'unspecified'})` : r.state === 'accepted' ? 'accepted, waiting for its agent' : 'dispatched';
    out(`${r.account} ${r.guid}: ${outcome}`);
    out(`  from ${r.sender} in chat ${r.chatId}, row ${r.rowid}, journalled ${r.recordedAt}`);
    out(`  ${traceText(r.trace)}`);
  }
  return 0;
}
