import fs from 'node:fs';

/**
 * The mutation-lane log (`--lane-log FILE` / IMSG_SIM_LANE_LOG, 0.15 profile; docs/imsg-sim.md):
 * one JSON line per mutation admitted to imsg's FIFO lane (current spec §4.1), written at
 * admission, naming the mutations still queued or running ahead of it. A test reads it to see, as
 * a mechanism rather than a timing, whether a send was queued behind a `typing` call. Off unless
 * a file is named; created 0600 and only appended to.
 */

/** A mutation as the lane log names it: its method, its chat selector, and typing's on/off. */
export interface LaneEntry {
  seq: number;
  method: string;
  to?: string;
  chat_id?: number;
  chat_identifier?: string;
  chat_guid?: string;
  typing?: boolean;
}

export interface LaneRecord extends LaneEntry {
  at: string;
  /** The mutations admitted before this one and not finished when it was admitted, oldest first. */
  ahead: LaneEntry[];
}

const SELECTORS = ['to', 'chat_id', 'chat_identifier', 'chat_guid'] as const;

export class LaneLog {
  private seq = 0;
  private readonly outstanding = new Map<number, LaneEntry>();

  constructor(readonly file: string) {}

  /** Records a mutation's admission; call `finished(seq)` when its lane slot is free again. */
  admitted(method: string, params: Record<string, unknown>, now: Date): number {
    const entry: LaneEntry = { seq: ++this.seq, method };
    for (const k of SELECTORS) {
      const v = params[k];
      if (typeof v === 'string' || typeof v === 'number') (entry as unknown as Record<string, unknown>)[k] = v;
    }
    if (method === 'typing') entry.typing = params['typing'] !== false;
    const rec: LaneRecord = { at: now.toISOString(), ...entry, ahead: [...this.outstanding.values()] };
    fs.appendFileSync(this.file, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
    this.outstanding.set(entry.seq, entry);
    return entry.seq;
  }

  finished(seq: number): void {
    this.outstanding.delete(seq);
  }
}

/** Reads a lane log (tests); a missing file is an empty log. */
export function readLaneLog(file: string): LaneRecord[] {
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
    .map((l) => JSON.parse(l) as LaneRecord);
}
