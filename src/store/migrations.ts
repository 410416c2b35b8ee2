/**
 * The schema, as an ordered list of migrations tracked with `PRAGMA user_version`.
 *
 * Policy: a released migration is never edited; a change is a new version appended here. Each
 * migration runs in its own IMMEDIATE transaction together with the user_version bump, so a
 * crash mid-upgrade leaves the previous version intact. The transaction re-reads user_version
 * after taking the write lock, so two processes opening the same file at once migrate it once.
 * There are no downgrades: a database above LATEST_SCHEMA_VERSION is refused (newer-schema).
 */
import type { SqliteDatabase } from '../sqlite/index.js';

export interface Migration {
  version: number;
  description: string;
  up(db: SqliteDatabase): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'per-account cursor and the inbound journal',
    up(db) {
      db.exec(`
        CREATE TABLE account_cursor (
          account_id TEXT PRIMARY KEY NOT NULL,
          last_rowid INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE inbound_journal (
          account_id  TEXT NOT NULL,
          guid        TEXT NOT NULL,
          msg_rowid   INTEGER NOT NULL,
          chat_id     INTEGER NOT NULL,
          sender      TEXT NOT NULL,
          created_at  INTEGER NOT NULL,
          state       TEXT NOT NULL CHECK (state IN ('accepted', 'dispatched', 'dropped')),
          reason      TEXT,
          envelope    TEXT,
          recorded_at INTEGER NOT NULL,
          updated_at  INTEGER NOT NULL,
          PRIMARY KEY (account_id, guid)
        ) STRICT;

        CREATE INDEX inbound_journal_accepted
          ON inbound_journal (account_id, msg_rowid) WHERE state = 'accepted';
      `);
    },
  },
  {
    version: 2,
    description: 'the outbox, and an index for drop counts by reason',
    up(db) {
      db.exec(`
        CREATE TABLE outbox (
          id              INTEGER PRIMARY KEY AUTOINCREMENT,
          account_id      TEXT NOT NULL,
          idempotency_key TEXT NOT NULL UNIQUE,
          chat_key        TEXT NOT NULL,
          target          TEXT NOT NULL,
          text            TEXT NOT NULL,
          file            TEXT,
          source          TEXT NOT NULL,
          envelope_id     TEXT,
          state           TEXT NOT NULL DEFAULT 'queued'
                          CHECK (state IN ('queued', 'sending', 'unknown', 'sent', 'failed')),
          attempts        INTEGER NOT NULL DEFAULT 0,
          last_attempt_at INTEGER,
          next_attempt_at INTEGER,
          error           TEXT,
          created_at      INTEGER NOT NULL,
          updated_at      INTEGER NOT NULL,
          sent_rowid      INTEGER,
          sent_guid       TEXT
        ) STRICT;

        CREATE INDEX outbox_account_state ON outbox (account_id, state, id);

        CREATE INDEX inbound_journal_dropped
          ON inbound_journal (account_id, reason) WHERE state = 'dropped';
      `);
    },
  },
  {
    version: 3,
    description: 'pairing requests, approved senders and group history (access policy)',
    up(db) {
      db.exec(`
        CREATE TABLE pairing_requests (
          account_id   TEXT NOT NULL,
          handle       TEXT NOT NULL,
          sender       TEXT NOT NULL,
          chat_id      INTEGER NOT NULL,
          state        TEXT NOT NULL CHECK (state IN ('pending', 'cap-dropped')),
          code         TEXT UNIQUE,
          created_at   INTEGER NOT NULL,
          expires_at   INTEGER NOT NULL,
          last_seen_at INTEGER NOT NULL,
          messages     INTEGER NOT NULL DEFAULT 1,
          PRIMARY KEY (account_id, handle),
          CHECK ((state = 'pending') = (code IS NOT NULL))
        ) STRICT;

        CREATE INDEX pairing_requests_pending
          ON pairing_requests (account_id, expires_at) WHERE state = 'pending';

        CREATE TABLE approved_senders (
          account_id  TEXT NOT NULL,
          handle      TEXT NOT NULL,
          sender      TEXT NOT NULL,
          approved_at INTEGER NOT NULL,
          code        TEXT,
          PRIMARY KEY (account_id, handle)
        ) STRICT;

        CREATE TABLE group_history (
          id          INTEGER PRIMARY KEY AUTOINCREMENT,
          account_id  TEXT NOT NULL,
          chat_id     INTEGER NOT NULL,
          guid        TEXT,
          sender      TEXT NOT NULL,
          text        TEXT NOT NULL,
          at          TEXT NOT NULL,
          recorded_at INTEGER NOT NULL,
          UNIQUE (account_id, chat_id, guid)
        ) STRICT;

        CREATE INDEX group_history_chat ON group_history (account_id, chat_id, id);
      `);
    },
  },
  {
    version: 4,
    description: 'echo-loop breaker state per chat; outbox indexes for fair scheduling and reply turns',
    up(db) {
      db.exec(`
        CREATE TABLE breaker_chats (
          account_id TEXT NOT NULL,
          chat_key   TEXT NOT NULL,
          unpaid     INTEGER NOT NULL CHECK (unpaid >= 0),
          paused_at  INTEGER,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (account_id, chat_key)
        ) STRICT;

        CREATE INDEX outbox_unsettled_chat
          ON outbox (account_id, chat_key, id) WHERE state IN ('queued', 'sending', 'unknown');

        CREATE INDEX outbox_envelope ON outbox (envelope_id, id) WHERE envelope_id IS NOT NULL;
      `);
    },
  },
  {
    version: 5,
    description: 'quarantine: inbound messages set aside (invalid, unjournallable, failed in handling, implausible row id)',
    up(db) {
      db.exec(`
        CREATE TABLE quarantine (
          id             INTEGER PRIMARY KEY AUTOINCREMENT,
          account_id     TEXT NOT NULL,
          stage          TEXT NOT NULL CHECK (stage IN ('validation', 'journal', 'handling', 'cursor-jump')),
          reason         TEXT NOT NULL,
          msg_rowid      INTEGER,
          guid           TEXT,
          chat_id        INTEGER,
          payload        TEXT,
          payload_bytes  INTEGER NOT NULL,
          quarantined_at INTEGER NOT NULL
        ) STRICT;

        CREATE INDEX quarantine_account ON quarantine (account_id, id);
      `);
    },
  },
  {
    version: 6,
    description: 'chat.db generations: the cursor belongs to one generation of the Messages database per account',
    up(db) {
      // account_cursor keeps the live cursor of each account's current generation (the highest
      // generation here). A generation that ended keeps its last cursor in end_rowid. An existing
      // cursor becomes generation 1, its start unknown (the file was not identified before).
      db.exec(`
        CREATE TABLE cursor_generations (
          account_id     TEXT NOT NULL,
          generation     INTEGER NOT NULL CHECK (generation >= 1),
          started_at     INTEGER NOT NULL,
          reason         TEXT NOT NULL,
          start_rowid    INTEGER,
          previous_rowid INTEGER,
          db_identity    TEXT,
          anchor_guid    TEXT,
          end_rowid      INTEGER,
          PRIMARY KEY (account_id, generation)
        ) STRICT;

        INSERT INTO cursor_generations (account_id, generation, started_at, reason, start_rowid)
          SELECT account_id, 1, updated_at, 'upgraded', NULL FROM account_cursor;
      `);
    },
  },
  {
    version: 7,
    description: 'outbox: the attempt id of a tracked send (send.tracked), persisted before the send',
    up(db) {
      db.exec(`ALTER TABLE outbox ADD COLUMN attempt_id TEXT;`);
    },
  },
  {
    version: 8,
    description: 'dead letters: agent turns that failed all their attempts; an index over failed outbox rows',
    up(db) {
      db.exec(`
        CREATE TABLE failed_turns (
          id               INTEGER PRIMARY KEY AUTOINCREMENT,
          account_id       TEXT NOT NULL,
          guid             TEXT NOT NULL,
          msg_rowid        INTEGER NOT NULL,
          chat_id          INTEGER NOT NULL,
          sender           TEXT NOT NULL,
          created_at       INTEGER NOT NULL,
          chat_key         TEXT NOT NULL,
          target           TEXT NOT NULL,
          agent_id         TEXT NOT NULL,
          envelope         TEXT NOT NULL,
          reason           TEXT NOT NULL,
          attempts         INTEGER NOT NULL,
          first_attempt_at INTEGER NOT NULL,
          failed_at        INTEGER NOT NULL,
          UNIQUE (account_id, guid)
        ) STRICT;

        CREATE INDEX failed_turns_failed_at ON failed_turns (failed_at);

        CREATE INDEX outbox_failed ON outbox (account_id, updated_at) WHERE state = 'failed';
      `);
    },
  },
  {
    version: 9,
    description: "pairing_requests: state 'denied' (a denied request or a revoked approval; no code, no reply until expires_at)",
    up(db) {
      db.exec(`
        CREATE TABLE pairing_requests_v9 (
          account_id   TEXT NOT NULL,
          handle       TEXT NOT NULL,
          sender       TEXT NOT NULL,
          chat_id      INTEGER NOT NULL,
          state        TEXT NOT NULL CHECK (state IN ('pending', 'cap-dropped', 'denied')),
          code         TEXT UNIQUE,
          created_at   INTEGER NOT NULL,
          expires_at   INTEGER NOT NULL,
          last_seen_at INTEGER NOT NULL,
          messages     INTEGER NOT NULL DEFAULT 1,
          PRIMARY KEY (account_id, handle),
          CHECK ((state = 'pending') = (code IS NOT NULL))
        ) STRICT;

        INSERT INTO pairing_requests_v9
          (account_id, handle, sender, chat_id, state, code, created_at, expires_at, last_seen_at, messages)
          SELECT account_id, handle, sender, chat_id, state, code, created_at, expires_at, last_seen_at, messages
          FROM pairing_requests;

        DROP TABLE pairing_requests;
        ALTER TABLE pairing_requests_v9 RENAME TO pairing_requests;

        CREATE INDEX pairing_requests_pending
          ON pairing_requests (account_id, expires_at) WHERE state = 'pending';
      `);
    },
  },
  {
    version: 10,
    description:
      'access policy: the decision trace of each journal row (JSON array of the rules that fired); when a denied pairing row is a revoked approval',
    up(db) {
      db.exec(`
        ALTER TABLE inbound_journal ADD COLUMN trace TEXT;
        ALTER TABLE pairing_requests ADD COLUMN revoked_at INTEGER;
      `);
    },
  },
  {
    version: 11,
    description: "outbox: reply_to (a threaded reply's parent message guid) and action (a non-text action, e.g. an agent's tapback, as JSON)",
    up(db) {
      db.exec(`
        ALTER TABLE outbox ADD COLUMN reply_to TEXT;
        ALTER TABLE outbox ADD COLUMN action TEXT;
      `);
    },
  },
  {
    version: 12,
    description: 'failed_turns.turn_guid: the latest message of the collected turn a message failed in (NULL: a turn of one message), so a retry runs the whole turn again',
    up(db) {
      db.exec(`
        ALTER TABLE failed_turns ADD COLUMN turn_guid TEXT;
        CREATE INDEX failed_turns_turn ON failed_turns (account_id, turn_guid) WHERE turn_guid IS NOT NULL;
      `);
    },
  },
  {
    version: 13,
    description:
      'inbound_journal.turn_guid: the latest message of the collected turn a message was handed over in (NULL: a turn of one message), written when the turn settles, so the flow and `why` show which turn answered it',
    up(db) {
      db.exec(`
        ALTER TABLE inbound_journal ADD COLUMN turn_guid TEXT;
        CREATE INDEX inbound_journal_turn ON inbound_journal (account_id, turn_guid) WHERE turn_guid IS NOT NULL;
      `);
    },
  },
];

export const LATEST_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export function readSchemaVersion(db: SqliteDatabase): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings `db` up to `targetVersion` (default: latest), one transaction per migration.
 * Returns the version the database is at afterwards. Never downgrades: a database already at or
 * above the target is left alone.
 */
export function migrate(db: SqliteDatabase, targetVersion: number = LATEST_SCHEMA_VERSION): number {
  if (!Number.isInteger(targetVersion) || targetVersion < 0 || targetVersion > LATEST_SCHEMA_VERSION) {
    throw new RangeError(`schema version ${targetVersion} is unknown (this build knows 0..${LATEST_SCHEMA_VERSION})`);
  }
  for (const migration of MIGRATIONS) {
    if (migration.version > targetVersion) break;
    if (readSchemaVersion(db) >= migration.version) continue;
    db.transaction(() => {
      if (readSchemaVersion(db) >= migration.version) return; // another process got there first
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return readSchemaVersion(db);
}
