import fs from 'node:fs';
import { ArgError } from './args.js';
import { invalidParams } from './rpc-errors.js';
import type { V1Params } from './v1-params.js';

/**
 * `typing` and `read` (imsg 0.7.3+, baseline §4.6–4.7; 0.15 lanes §4.1): the simulator cannot show
 * a typing bubble or mark a chat read in Messages, so it records each call as one JSON line in a
 * side log that tests read (docs/imsg-sim.md, "Signals"). The log is `<db>.signals.jsonl` unless
 * --signal-log / IMSG_SIM_SIGNAL_LOG names another file; it is created 0600 and only appended to.
 */

/** Capabilities a test can take away (`--without typing,read,reactions`). */
export const OPTIONAL_CAPABILITIES = ['typing', 'read', 'reactions'] as const;
export type OptionalCapability = (typeof OPTIONAL_CAPABILITIES)[number];

/** `typing,read` → the set; an unknown name is a usage error naming the valid ones. */
export function parseWithout(raw: string | undefined): Set<OptionalCapability> {
  const out = new Set<OptionalCapability>();
  if (!raw) return out;
  for (const part of raw.split(',')) {
    const name = part.trim();
    if (name === '') continue;
    if (!(OPTIONAL_CAPABILITIES as readonly string[]).includes(name)) {
      throw new ArgError(`Invalid value for option: --without: ${name} (${OPTIONAL_CAPABILITIES.join('|')})`);
    }
    out.add(name as OptionalCapability);
  }
  return out;
}

/** One recorded call, as written to the side log. */
export interface SignalRecord {
  at: string;
  method: 'typing' | 'read';
  /** typing only: true starts the indicator, false stops it. */
  typing?: boolean;
  /** The chat as the caller named it: exactly one of these. */
  to?: string;
  chat_id?: number;
  chat_identifier?: string;
  chat_guid?: string;
}

export function defaultSignalLog(dbPath: string): string {
  return `${dbPath}.signals.jsonl`;
}

/** The selector checks `typing` and `read` share with `send` (current spec §3.2). */
function target(p: V1Params): Pick<SignalRecord, 'to' | 'chat_id' | 'chat_identifier' | 'chat_guid'> {
  const to = p.str('to');
  const chatId = p.int('chat_id');
  const ident = p.str('chat_identifier');
  const guid = p.str('chat_guid');
  const selectors = [chatId, ident, guid].filter((x) => x !== undefined).length;
  if (to !== undefined && selectors > 0) throw invalidParams('use to or exactly one chat selector; not both');
  if (to === undefined && selectors !== 1) throw invalidParams('exactly one of chat_id, chat_identifier, or chat_guid is required');
  if (to === '') throw invalidParams('to must be a non-empty string');
  if (chatId !== undefined && chatId <= 0) throw invalidParams('chat_id must be a positive integer');
  if (ident === '') throw invalidParams('chat_identifier must be a non-empty string');
  if (guid === '') throw invalidParams('chat_guid must be a non-empty string');
  if (to !== undefined) return { to };
  if (chatId !== undefined) return { chat_id: chatId };
  if (ident !== undefined) return { chat_identifier: ident };
  return { chat_guid: guid! };
}

const SERVICES = new Set(['auto', 'imessage', 'sms']);

export class SignalLog {
  constructor(readonly file: string) {}

  private append(rec: SignalRecord): void {
    fs.appendFileSync(this.file, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
  }

  /** `typing {typing?, to | chat selector, service?}` → `{ok:true}`. */
  typing(p: V1Params, now: Date): { ok: true } {
    const service = p.str('service');
    if (service !== undefined && !SERVICES.has(service.toLowerCase())) throw invalidParams(service);
    const rec: SignalRecord = { at: now.toISOString(), method: 'typing', typing: p.bool('typing') ?? true, ...target(p) };
    this.append(rec);
    return { ok: true };
  }

  /** `read {to | chat selector}` → `{ok:true}`. */
  read(p: V1Params, now: Date): { ok: true } {
    this.append({ at: now.toISOString(), method: 'read', ...target(p) });
    return { ok: true };
  }
}

/** Reads a side log (tests, `imsg-sim signals`); a missing file is an empty log. */
export function readSignals(file: string): SignalRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as SignalRecord);
}
