/**
 * `imessage-gateway pairing list [imessage] [--account ID] [--json]` and
 * `imessage-gateway pairing approve [imessage] <CODE> [--account ID] [--notify]`, over the pairing
 * tables of `<home>/state.db`. A running gateway sees an approval at the sender's next message.
 * Exit codes: 0 ok, 1 unknown/expired code (or a store failure), 2 usage.
 */
import { parseArgs } from 'node:util';
import { relativeTime } from './duration-text.js';
import { commandUsage } from './usage.js';
import { resolveHome } from '../config/index.js';
import {
  PairingError,
  PairingService,
  type PairingListEntry,
} from '../machines/pairing-service.js';
import { GatewayStore, MAX_TURNED_AWAY, stateDbPath } from '../store/index.js';

type Out = (line: string) => void;

const stderr: Out = (line) => void process.stderr.write(`${line}\n`);

export const PAIRING_USAGE = commandUsage('pairing');

export class PairingUsageError extends Error {}

export interface PairingListOptions {
  account?: string;
  json?: boolean;
  /** Default Date.now(): decides which codes show as expired. */
  now?: number;
}

export interface PairingApproveOptions {
  code: string;
  account?: string;
  notify?: boolean;
  now?: number;
}

export function pairingListCommand(opts: PairingListOptions, out: Out): number {
  const now = opts.now ?? Date.now();
  const account = normaliseAccount(opts.account);
  return withStore((store) => {
    const service = new PairingService(store);
    const entries = service.list(account, now);
    const approved = service.approved(account);
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
              expiresAt: e.state === 'pending' ? iso(e.expiresAt) : null,
              expired: e.expired,
              lastSeenAt: iso(e.lastSeenAt),
              messages: e.messages,
            })),
            approved: approved.map((a) => ({ account: a.accountId, handle: a.sender, approvedAt: iso(a.approvedAt) })),
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
      out(
        `account ${id}: ${pending.length} pairing request${pending.length === 1 ? '' : 's'}` +
          (dropped.length
            ? `, ${dropped.length} turned away (too many codes pending${dropped.length >= MAX_TURNED_AWAY ? `; only the ${MAX_TURNED_AWAY} seen last are kept` : ''})`
            : ''),
      );
      for (const e of pending) out(`  ${formatPending(e, now)}`);
      for (const e of dropped) out(`  ${formatDropped(e, now)}`);
    }
    if (approved.length > 0) {
      out(`approved senders: ${approved.map((a) => `${a.sender} (${a.accountId})`).join(', ')}`);
    }
    if (entries.some((e) => e.state === 'pending' && !e.expired)) {
      out('approve with: imessage-gateway pairing approve imessage <CODE> [--account ID] [--notify]');
    }
    return 0;
  });
}

export function pairingApproveCommand(opts: PairingApproveOptions, out: Out, err: Out = stderr): number {
  const now = opts.now ?? Date.now();
  const account = normaliseAccount(opts.account);
  return withStore((store) => {
    const service = new PairingService(store);
    let approval;
    try {
      approval = service.approveRequest(
        { code: opts.code, ...(account ? { account } : {}), notify: opts.notify === true },
        now,
      );
    } catch (e) {
      if (e instanceof PairingError) {
        err(e.message);
        return 1;
      }
      throw e;
    }
    out(`approved ${approval.handle} on account ${approval.accountId}`);
    if (approval.notice) {
      const { outboxId, inserted } = approval.notice;
      out(`${inserted ? 'queued' : 'already queued'} a confirmation to ${approval.handle} (outbox #${outboxId})`);
    }
    return 0;
  });
}

/**
 * The whole `pairing …` command line (after the word "pairing"): parses it and runs list or
 * approve. Usage problems are written to `err` with the usage, and give exit code 2.
 */
export function pairingCommand(args: string[], out: Out, err: Out = stderr): number {
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
      return pairingListCommand(
        { ...(values.account !== undefined ? { account: values.account } : {}), json: values.json === true },
        out,
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
      return pairingApproveCommand(
        {
          code: codes[0] ?? '',
          ...(values.account !== undefined ? { account: values.account } : {}),
          notify: values.notify === true,
        },
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

function withStore(fn: (store: GatewayStore) => number): number {
  const store = GatewayStore.open(stateDbPath(resolveHome()));
  try {
    return fn(store);
  } finally {
    store.close();
  }
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
