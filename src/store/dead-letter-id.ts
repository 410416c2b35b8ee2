/**
 * A dead letter's id as the operator types it: `send-<outbox id>` for a send (failed, or whose
 * outcome is unknown), `turn-<id>` for an agent turn that failed all its attempts.
 */
export type DeadLetterKind = 'send' | 'turn';

export interface DeadLetterRef {
  kind: DeadLetterKind;
  /** The outbox id (send) or the failed_turns id (turn). */
  n: number;
}

const PATTERN = /^(send|turn)-([1-9][0-9]{0,15})$/;

export function formatDeadLetterId(ref: DeadLetterRef): string {
  return `${ref.kind}-${ref.n}`;
}

/** The parsed id, or an error message that names the problem and the expected form. */
export function parseDeadLetterId(text: string): DeadLetterRef | { problem: string } {
  const match = PATTERN.exec(text.trim().toLowerCase());
  const n = match ? Number(match[2]) : NaN;
  if (!match || !Number.isSafeInteger(n)) {
    return {
      problem: `${JSON.stringify(text)} is not a dead-letter id: use the id shown by \`imessage-gateway delivery list\` (send-<number> or turn-<number>)`,
    };
  }
  return { kind: match[1] as DeadLetterKind, n };
}
