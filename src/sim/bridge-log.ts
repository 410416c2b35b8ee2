import fs from 'node:fs';
import { invalidParams } from './rpc-errors.js';

/**
 * What the emulated bridge (--bridge, --tracked-bridge) rendered that chat.db cannot show: the
 * `reply_to` a send named and the `text_formatting` ranges it applied, and each tapback it sent.
 * One JSON line per call in `<db>.bridge.jsonl` (0600, append-only), read by tests with
 * readBridgeLog(). The rows themselves are in chat.db as Messages writes them (a reply's
 * thread_originator_guid, a tapback's associated_message_type / associated_message_guid).
 */

/** One text_formatting range as imsg's bridge takes it: UTF-16 offsets into the sent text. */
export interface FormattingRange {
  start: number;
  length: number;
  styles: string[];
}

export interface BridgeRecord {
  at: string;
  method: 'send' | 'send.tracked' | 'tapback';
  /** The row written (send: the message; tapback: the reaction row). */
  guid: string;
  rowid: number;
  reply_to?: string;
  thread_originator_guid?: string;
  text_formatting?: FormattingRange[];
  /** tapback: the reaction as normalised (`like`, … or the emoji) and its target message. */
  reaction?: string;
  target?: string;
  remove?: boolean;
}

export const FORMATTING_STYLES = ['bold', 'italic', 'underline', 'strikethrough'] as const;

export function defaultBridgeLog(dbPath: string): string {
  return `${dbPath}.bridge.jsonl`;
}

export function appendBridgeRecord(file: string, rec: BridgeRecord): void {
  fs.appendFileSync(file, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
}

/** Every record so far (an absent log is empty). */
export function readBridgeLog(file: string): BridgeRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as BridgeRecord);
}

/**
 * The simulator's check of `text_formatting` (imsg's own texts for this are not in the stored
 * sources, so these are the simulator's): each range `{start, length, styles}` with integer
 * start ≥ 0, length ≥ 1, known styles, and lying inside the text in UTF-16 code units.
 */
export function checkFormatting(raw: unknown[], text: string): FormattingRange[] {
  const out: FormattingRange[] = [];
  raw.forEach((r, i) => {
    const o = r as Record<string, unknown>;
    const { start, length, styles } = o;
    if (!Number.isInteger(start) || (start as number) < 0) throw invalidParams(`text_formatting[${i}].start must be a non-negative integer`);
    if (!Number.isInteger(length) || (length as number) < 1) throw invalidParams(`text_formatting[${i}].length must be a positive integer`);
    if (!Array.isArray(styles) || styles.length === 0 || !styles.every((s) => (FORMATTING_STYLES as readonly string[]).includes(s as string))) {
      throw invalidParams(`text_formatting[${i}].styles must be a non-empty array of ${FORMATTING_STYLES.join(', ')}`);
    }
    if ((start as number) + (length as number) > text.length) {
      throw invalidParams(`text_formatting[${i}] lies outside the text (${text.length} UTF-16 code units)`);
    }
    out.push({ start: start as number, length: length as number, styles: styles as string[] });
  });
  return out;
}
