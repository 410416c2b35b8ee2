/**
 * `imessage-gateway delivery list|retry|purge`: the dead letters (sends that failed for good or
 * whose outcome is unknown, agent turns that failed all their attempts). Through the running
 * gateway's control API while it runs (control-client.ts), else on the state database (a retried
 * send or turn then goes at the gateway's next start). Exit codes: 0 done, 1 refused or not found, 2 usage.
 */
import { parseArgs } from 'node:util';
import { parseDuration, resolveHome } from '../config/index.js';
import {
  DeliveryError,
  discardDelivery,
  discardOlder,
  type DeliveryView,
  type KnownAccounts,
  listDelivery,
  type RetryDone,
  retryDelivery,
} from '../supervisor/delivery-service.js';
import { errorText } from '../util/typed-error.js';
import { commandUsage } from './usage.js';
import { callGateway, changeThroughGateway, type ControlAnswer, errorOf } from './control-client.js';
import { hasConfig, loadConfigSource } from './config-source.js';
import { withStateDb } from './state-db.js';

type Out = (line: string) => void;

export const DELIVERY_USAGE = commandUsage('delivery');

export class DeliveryUsageError extends Error {}

const DEFAULT_LIMIT = 50;
const stderr: Out = (line) => void process.stderr.write(`${line}\n`);

export async function deliveryCommand(args: string[], out: Out, err: Out = stderr): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      force: { type: 'boolean' },
      'older-than': { type: 'string' },
      config: { type: 'string' },
    },
  });
  const json = values.json === true;
  const force = values.force === true;
  const account = values.account?.trim().toLowerCase() || undefined;
  const home = resolveHome();
  const accounts = (): KnownAccounts =>
    hasConfig(home, values.config) ? loadConfigSource(home, values.config).config.accounts.map((a) => a.id) : undefined;
  try {
    switch (action) {
      case 'list': {
        if (positionals.length > 0) throw new DeliveryUsageError(`delivery list takes no argument ${JSON.stringify(positionals[0])}`);
        const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
        if (!Number.isSafeInteger(limit) || limit < 1) throw new DeliveryUsageError('--limit must be a positive integer');
        const query = new URLSearchParams({ limit: String(limit), ...(account ? { account } : {}) });
        const live = await callGateway(home, 'GET', `/api/delivery?${query.toString()}`);
        const rows = live ? (answer(live) as { deadLetters: DeliveryView[] }).deadLetters : withStateDb(home, (s) => listDelivery(s, { ...(account ? { account } : {}), limit }, accounts()));
        printList(rows, json, account, out);
        return 0;
      }
      case 'retry': {
        if (positionals.length !== 1) throw new DeliveryUsageError(positionals.length === 0 ? 'delivery retry needs an ID (see `delivery list`)' : 'delivery retry takes one ID');
        const id = positionals[0] ?? '';
        // Directly only under the home's lock: a gateway starting meanwhile waits for the queued row.
        const r = await changeThroughGateway(home, 'POST', '/api/delivery/retry', { id, force }, () => withStateDb(home, (s) => retryDelivery(s, id, force, accounts())));
        const done: RetryDone & { started?: boolean } = 'live' in r ? (answer(r.live) as RetryDone & { started?: boolean }) : r.direct;
        const running = 'live' in r;
        if (json) out(JSON.stringify({ ...done, via: running ? 'gateway' : 'state-db' }));
        else out(retryLine(done, running ? done.started === true : undefined));
        return 0;
      }
      case 'purge': {
        const olderThan = values['older-than'];
        if (olderThan !== undefined) {
          if (positionals.length > 0) throw new DeliveryUsageError('delivery purge takes IDs or --older-than, not both');
          const ms = parseDuration(olderThan);
          if (ms === undefined) throw new DeliveryUsageError(`--older-than must be a duration such as "7d", "12h" or "30m" (got ${JSON.stringify(olderThan)})`);
          const r = await changeThroughGateway(home, 'POST', '/api/delivery/discard', { olderThan, ...(account ? { account } : {}) }, () =>
            withStateDb(home, (s) => discardOlder(s, ms, Date.now(), account)),
          );
          const result = 'live' in r ? (answer(r.live) as { sends: number; turns: number; unknownLeft: number }) : r.direct;
          if (json) out(JSON.stringify(result));
          else {
            out(`purged ${result.sends} failed send${result.sends === 1 ? '' : 's'} and ${result.turns} failed turn${result.turns === 1 ? '' : 's'} older than ${olderThan}`);
            if (result.unknownLeft > 0) {
              out(`left ${result.unknownLeft} send${result.unknownLeft === 1 ? '' : 's'} whose outcome is unknown (purge them by ID with --force once you checked the chat)`);
            }
          }
          return 0;
        }
        if (positionals.length === 0) throw new DeliveryUsageError('delivery purge needs IDs or --older-than DURATION');
        const purged: string[] = [];
        const refused: Array<{ id: string; error: string }> = [];
        for (const id of positionals) {
          try {
            const r = await changeThroughGateway(home, 'POST', '/api/delivery/discard', { id, force }, () => withStateDb(home, (s) => discardDelivery(s, id, force)));
            purged.push('live' in r ? (answer(r.live) as { id: string }).id : r.direct.id);
          } catch (e) {
            if (!(e instanceof DeliveryError || e instanceof ApiRefusal) || e.status === 400) throw e;
            refused.push({ id, error: e instanceof DeliveryError ? errorText(e) : e.message });
          }
        }
        if (json) out(JSON.stringify({ purged, refused }));
        else {
          for (const id of purged) out(`purged ${id}`);
          for (const r of refused) err(r.error);
        }
        return refused.length > 0 ? 1 : 0;
      }
      default:
        throw new DeliveryUsageError(`delivery needs list, retry or purge (got ${JSON.stringify(action ?? '')})`);
    }
  } catch (e) {
    if (e instanceof DeliveryUsageError) {
      err(`${e.message}\n\n${DELIVERY_USAGE}`);
      return 2;
    }
    if (e instanceof DeliveryError || e instanceof ApiRefusal) {
      err(e instanceof DeliveryError ? errorText(e) : e.message);
      return e.status === 400 ? 2 : 1;
    }
    throw e;
  }
}

/** The control API's answer, or its refusal as the same DeliveryError the state-database path throws. */
function answer(live: ControlAnswer): unknown {
  if (live.status === 200) return live.body;
  throw new ApiRefusal(live.status, errorOf(live));
}

/** The running gateway refused (its message already carries the fix). */
class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** `started`: the running gateway took it up at once (undefined: done on the state database). */
function retryLine(done: RetryDone, started: boolean | undefined): string {
  const what = done.kind === 'send' ? `${done.id} queued again (outbox #${done.outboxId}, account ${done.account})` : `${done.id}: the agent turn is queued to run again (account ${done.account})`;
  if (started === true) return `${what}; the gateway ${done.kind === 'send' ? 'sends it when the account streams' : 'runs it now'}`;
  if (started === false) return `${what}; the account is not running now: it goes when the account starts`;
  return `${what}; the gateway is not running: it goes at the next start`;
}

function printList(rows: DeliveryView[], json: boolean, account: string | undefined, out: Out): void {
  if (json) {
    out(JSON.stringify({ deadLetters: rows }, null, 2));
    return;
  }
  if (rows.length === 0) {
    out(`no dead letters${account ? ` for account ${account}` : ''}`);
    return;
  }
  for (const r of rows) {
    const size = r.kind === 'send' ? (r.file ? `file ${r.file}` : `${r.chars ?? 0} chars`) : `agent ${r.agentId ?? '?'}`;
    out(`${r.id}  ${r.account}  ${r.status.toUpperCase()}  ${r.deadAt}  to ${r.to ?? r.chat}  (${size}, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}): ${r.reason}`);
    if (r.note) out(`    note: ${r.note}`);
  }
  out('retry with `imessage-gateway delivery retry ID`; drop with `imessage-gateway delivery purge ID`');
}
