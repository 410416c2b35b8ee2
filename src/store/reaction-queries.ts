/**
 * What the gateway knows about the message a tapback points at (issue 17, item 3): whether the
 * gateway sent it (an outbox row delivered with that chat.db guid) and its text, from the outbox
 * or from the journalled envelope of an accepted inbound message. Read-only.
 */
import type { SqliteDatabase, Statement } from '../sqlite/index.js';

export interface ReactionTargetRow {
  /** The gateway sent this message (an outbox row's delivered guid). */
  fromGateway: boolean;
  /** Its text, when the gateway has it (a sent reply, or an accepted message's envelope). */
  text?: string;
  /** The inbound message's sender, when it came from the journal. */
  sender?: string;
}

export class ReactionQueries {
  private readonly sentText: Statement;
  private readonly journalled: Statement;

  constructor(db: SqliteDatabase) {
    this.sentText = db.prepare('SELECT text FROM outbox WHERE account_id = ? AND sent_guid = ? ORDER BY id LIMIT 1');
    this.journalled = db.prepare('SELECT sender, envelope FROM inbound_journal WHERE account_id = ? AND guid = ?');
  }

  target(accountId: string, guid: string): ReactionTargetRow | undefined {
    const sent = this.sentText.get(accountId, guid) as { text: string } | undefined;
    if (sent) return { fromGateway: true, ...(sent.text !== '' ? { text: sent.text } : {}) };
    const row = this.journalled.get(accountId, guid) as { sender: string; envelope: string | null } | undefined;
    if (!row) return undefined;
    const text = envelopeText(row.envelope);
    return { fromGateway: false, sender: row.sender, ...(text !== undefined ? { text } : {}) };
  }
}

function envelopeText(envelope: string | null): string | undefined {
  if (!envelope) return undefined;
  try {
    const parsed = JSON.parse(envelope) as { text?: unknown };
    return typeof parsed.text === 'string' && parsed.text !== '' ? parsed.text : undefined;
  } catch {
    return undefined;
  }
}
