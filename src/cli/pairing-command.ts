/**
 * `imessage-gateway pairing list [imessage] [--account ID] [--json]`,
 * `imessage-gateway pairing approve [imessage] <CODE> [--account ID] [--notify]`,
 * `imessage-gateway pairing deny [imessage] <CODE|HANDLE> [--account ID] [--json]` and
 * `imessage-gateway pairing revoke [imessage] <HANDLE> [--account ID] [--json]`, over the pairing
 * tables: approve, deny and revoke go through the running gateway's control API while it runs
 * (control-client.ts), and work on `<home>/state.db` only when no gateway runs; `list` asks the
 * running gateway too (pairing-source.ts) and reads the state database only when none runs.
 * Exit codes: 0 ok (also: a code already approved), 1 unknown/expired code, a sender never
 * approved, already denied (or a store failure), 2 usage.
 */
import { parseArgs } from 'node:util';
import { changeThroughGateway, errorOf } from './control-client.js';
import { relativeTime } from './duration-text.js';
import { ListingRefusedError, pairingListing } from './pairing-source.js';
import { commandUsage } from './usage.js';
import { resolveHome } from '../config/index.js';
import {
  PairingError,
  PairingService,
  type PairingDenial,
  type PairingListEntry,
} from '../policy/pairing-service.js';
import { MAX_TURNED_AWAY } from '../store/index.js';
import { systemClock } from '../util/clock.js';
import { withStateDb } from './state-db.js';

type Out = (line: string) => void;

const stderr: Out = (line) => void process.stderr.write(`${line}\n`);

export const PAIRING_USAGE = commandUsage('pairing');

export class PairingUsageError extends Error {}

export interface PairingListOptions {
  account?: string;
  json?: boolean;
  /** Default: the system clock; decides which codes show as expired. */
  now?: number;
}

export interface PairingApproveOptions {
  code: string;
  account?: string;
  notify?: boolean;
  now?: number;
}

export async function pairingListCommand(opts: PairingListOptions, out: Out, err: Out = stderr): Promise<number> {
  const now = opts.now ?? systemClock.now();
  const account = normaliseAccount(opts.account);
  let listing;
  try {
    listing = await pairingListing(resolveHome(), account, now);
  } catch (e) {
    if (!(e instanceof ListingRefusedError)) throw e;
    err(e.message);
    return 1;
  }
  const { requests: entries, approved, via } = listing;
  if (opts.json) {
    out(
      JSON.stringify(
        {
          requests: entries.map((e) => ({
            account: e.accountId,
            state: e.state,
            code: e.code,
            handle: e.handle,
            chatId: e.chatId,
            createdAt: iso(e.createdAt),
            expiresAt: e.state !== 'cap-dropped' ? iso(e.expiresAt) : null,
            expired: e.expired,
            lastSeenAt: iso(e.lastSeenAt),
            messages: e.messages,
          })),
          approved: approved.map((a) => ({ account: a.accountId, handle: a.sender, approvedAt: iso(a.approvedAt) })),
          via,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  if (entries.length === 0) {
    out(`no pending pairing requests${account ? ` for account ${account}` : ''}`);
  }
  const accounts = [...new Set(entries.map((e) => e.accountId))];
  for (const id of accounts) {
    const mine = entries.filter((e) => e.accountId === id);
    const pending = mine.filter((e) => e.state === 'pending');
    const dropped = mine.filter((e) => e.state === 'cap-dropped');
    const denied = mine.filter((e) => e.state === 'denied' && !e.expired);
    out(
      `account ${id}: ${pending.length} pairing request${pending.length === 1 ? '' : 's'}` +
        (dropped.length
          ? `, ${dropped.length} turned away (too many codes pending${dropped.length >= MAX_TURNED_AWAY ? `; only the ${MAX_TURNED_AWAY} seen last are kept` : ''})`
          : '') +
        (denied.length ? `, ${denied.length} denied` : ''),
    );
    for (const e of pending) out(`  ${formatPending(e, now)}`);
    for (const e of dropped) out(`  ${formatDropped(e, now)}`);
    for (const e of denied) out(`  denied, no reply until ${relativeTime(iso(e.expiresAt), now)}: ${e.handle}`);
  }
  if (approved.length > 0) {
    out(`approved senders: ${approved.map((a) => `${a.sender} (${a.accountId})`).join(', ')}`);
  }
  if (entries.some((e) => e.state === 'pending' && !e.expired)) {
    out('approve with: imessage-gateway pairing approve imessage <CODE> [--account ID] [--notify]');
  }
  return 0;
}

/**
 * `pairing approve`: through the running gateway's control API (which also queues the optional
 * confirmation and wakes the account's outbox); on the state database when no gateway runs.
 */
export async function pairingApproveCommand(opts: PairingApproveOptions, out: Out, err: Out = stderr): Promise<number> {
  const now = opts.now ?? systemClock.now();
  const account = normaliseAccount(opts.account);
  const request = { code: opts.code, ...(account ? { account } : {}), notify: opts.notify === true };
  const done = await changeThroughGateway(resolveHome(), 'POST', '/api/pairing/approve', request, () =>
    withStateDb(resolveHome(), (store): ApprovalAnswer | string => {
      try {
        return new PairingService(store).approveRequest(request, now);
      } catch (e) {
        if (e instanceof PairingError) return e.message;
        throw e;
      }
    }),
  );
  let approval: ApprovalAnswer;
  if ('live' in done) {
    const { live } = done;
    if (live.status !== 200) {
      err(errorOf(live));
      return 1;
    }
    approval = live.body as ApprovalAnswer;
  } else {
    const result = done.direct;
    if (typeof result === 'string') {
      err(result);
      return 1;
    }
    approval = result;
  }
  if (approval.alreadyApproved) {
    out(`pairing code ${opts.code.trim().toUpperCase()} was already approved: ${approval.handle} on account ${approval.accountId}; nothing changed`);
    return 0;
  }
  out(`approved ${approval.handle} on account ${approval.accountId}`);
  if (approval.notice) {
    const { outboxId, inserted } = approval.notice;
    out(`${inserted ? 'queued' : 'already queued'} a confirmation to ${approval.handle} (outbox #${outboxId})`);
  }
  return 0;
}

type ApprovalAnswer = ReturnType<PairingService['approveRequest']>;

export interface PairingDenyOptions {
  /** deny: a pairing code or a sender handle; revoke: the approved sender's handle. */
  target: string;
  account?: string;
  json?: boolean;
  now?: number;
}

/**
 * `pairing deny` / `pairing revoke`: through the running gateway's control API while it runs,
 * else on the state database. The sender gets no reply and no new code until the time printed.
 */
export async function pairingDenyCommand(
  action: 'deny' | 'revoke',
  opts: PairingDenyOptions,
  out: Out,
  err: Out = stderr,
): Promise<number> {
  const account = normaliseAccount(opts.account);
  const body = action === 'deny' ? { target: opts.target, ...(account ? { account } : {}) } : { handle: opts.target, ...(account ? { account } : {}) };
  const answer = await changeThroughGateway(resolveHome(), 'POST', `/api/pairing/${action}`, body, () => {
    const now = opts.now ?? systemClock.now();
    return withStateDb(resolveHome(), (store): PairingDenial | string => {
      const service = new PairingService(store);
      try {
        return action === 'deny' ? service.deny(account, opts.target, now) : service.revoke(account, opts.target, now);
      } catch (e) {
        if (e instanceof PairingError) return `${e.message}`;
        throw e;
      }
    });
  });
  let done: PairingDenial;
  if ('live' in answer) {
    const { live } = answer;
    if (live.status !== 200) {
      err(errorOf(live));
      return 1;
    }
    done = live.body as PairingDenial;
  } else {
    const result = answer.direct;
    if (typeof result === 'string') {
      err(result);
      return 1;
    }
    done = result;
  }
  const via = 'live' in answer ? 'gateway' : 'state-db';
  if (opts.json) {
    out(JSON.stringify({ action, account: done.accountId, handle: done.handle, until: iso(done.until), ...(done.code ? { code: done.code } : {}), via }));
    return 0;
  }
  const what = action === 'deny' ? `denied ${done.code ? `pairing code ${done.code} of ` : ''}${done.handle}` : `revoked the approval of ${done.handle}`;
  out(`${what} on account ${done.accountId}; no reply and no new code until ${iso(done.until)}`);
  return 0;
}

/**
 * The whole `pairing …` command line (after the word "pairing"): parses it and runs list,
 * approve, deny or revoke. Usage problems are written to `err` with the usage, and give exit code 2.
 */
export async function pairingCommand(args: string[], out: Out, err: Out = stderr): Promise<number> {
  try {
    const [sub, ...rest] = args;
    if (sub === 'list') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { account: { type: 'string' }, json: { type: 'boolean' } },
      });
      const extra = withoutChannel(positionals);
      if (extra.length > 0) throw new PairingUsageError(`pairing list takes no argument ${JSON.stringify(extra[0])}`);
      return await pairingListCommand(
        { ...(values.account !== undefined ? { account: values.account } : {}), json: values.json === true },
        out,
        err,
      );
    }
    if (sub === 'approve') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { account: { type: 'string' }, notify: { type: 'boolean' } },
      });
      const codes = withoutChannel(positionals);
      if (codes.length !== 1) {
        throw new PairingUsageError(codes.length === 0 ? 'pairing approve needs a CODE' : 'pairing approve takes one CODE');
      }
      return await pairingApproveCommand(
        {
          code: codes[0] ?? '',
          ...(values.account !== undefined ? { account: values.account } : {}),
          notify: values.notify === true,
        },
        out,
        err,
      );
    }
    if (sub === 'deny' || sub === 'revoke') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { account: { type: 'string' }, json: { type: 'boolean' } },
      });
      const targets = withoutChannel(positionals);
      const what = sub === 'deny' ? 'a CODE or a sender HANDLE' : 'the HANDLE of an approved sender';
      if (targets.length !== 1) {
        throw new PairingUsageError(targets.length === 0 ? `pairing ${sub} needs ${what}` : `pairing ${sub} takes one argument: ${what}`);
      }
      return await pairingDenyCommand(
        sub,
        { target: targets[0] ?? '', ...(values.account !== undefined ? { account: values.account } : {}), json: values.json === true },
        out,
        err,
      );
    }
    throw new PairingUsageError(`unknown pairing subcommand ${JSON.stringify(sub ?? '')}`);
  } catch (e) {
    if (e instanceof PairingUsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`${(e as Error).message}\n\n${PAIRING_USAGE}`);
      return 2;
    }
    throw e;
  }
}

/** Drops the optional leading channel word `imessage`; any other channel is a usage error. */
export function withoutChannel(positionals: readonly string[]): string[] {
  const [first, ...rest] = positionals;
  if (first === undefined) return [];
  if (first.toLowerCase() === 'imessage') return rest;
  if (/^(telegram|whatsapp|signal|discord|slack|sms)$/i.test(first)) {
    throw new PairingUsageError(`this gateway only pairs iMessage senders, not ${JSON.stringify(first)}`);
  }
  return [...positionals];
}

function normaliseAccount(account: string | undefined): string | undefined {
  const id = account?.trim().toLowerCase();
  return id ? id : undefined;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function formatPending(e: PairingListEntry, now: number): string {
  const expiry = e.expired ? `EXPIRED ${relativeTime(iso(e.expiresAt), now)}` : `expires ${relativeTime(iso(e.expiresAt), now)}`;
  return (
    `${e.code ?? ''}  ${e.handle}  chat ${e.chatId}  requested ${relativeTime(iso(e.createdAt), now)}  ${expiry}` +
    `  (${e.messages} message${e.messages === 1 ? '' : 's'})`
  );
}

function formatDropped(e: PairingListEntry, now: number): string {
  return (
    `turned away, no code: ${e.handle}  chat ${e.chatId}  first ${relativeTime(iso(e.createdAt), now)}  last ${relativeTime(iso(e.lastSeenAt), now)}` +
    `  (${e.messages} message${e.messages === 1 ? '' : 's'})`
  );
}
