/**
 * The text of a message the gateway has seen, by guid (issue 17, item 4): an inbound one from its
 * journalled envelope, or one the gateway sent from its outbox row. Used when imsg names an inline
 * reply's parent but not its text.
 */
import type { SqliteDatabase, Statement } from '../sqlite/index.js';

export interface KnownText {
  text: string;
  /** The parent's sender when it came in; absent for the gateway's own messages. */
  sender?: string;
  fromMe: boolean;
}

export class KnownTextQueries {
  private readonly inbound: Statement<[string, string], { text: string | null; sender: string }>;
  private readonly sent: Statement<[string, string], { text: string }>;

  constructor(db: SqliteDatabase) {
    this.inbound = db.prepare(
      `SELECT json_extract(envelope, '$.text') AS text, sender FROM inbound_journal
       WHERE account_id = ? AND guid = ? AND envelope IS NOT NULL`,
    );
    this.sent = db.prepare(
      `SELECT text FROM outbox WHERE account_id = ? AND sent_guid = ? AND text <> '' ORDER BY id LIMIT 1`,
    );
  }

  find(accountId: string, guid: string): KnownText | undefined {
    const i = this.inbound.get(accountId, guid);
    if (i && typeof i.text === 'string') return { text: i.text, sender: i.sender, fromMe: false };
    const o = this.sent.get(accountId, guid);
    return o ? { text: o.text, fromMe: true } : undefined;
  }
}
