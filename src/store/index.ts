/** The gateway's durable state store: cursor, inbound journal and outbox in `<home>/state.db`. */
export { GatewayStore } from './gateway-store.js';
export { StoreError, toStoreError, isStorageFailure, type StoreErrorKind } from './errors.js';
export { MIGRATIONS, LATEST_SCHEMA_VERSION, migrate, readSchemaVersion, type Migration } from './migrations.js';
export { OutboxTransitionError, type OutboxTransition } from './outbox-transitions.js';
export type { DeadLetterBulkPurge, DeadLetterPurge, DeadLetterRetry, DispatchItem } from './gateway-store.js';
export { formatDeadLetterId, parseDeadLetterId, type DeadLetterKind, type DeadLetterRef } from './dead-letter-id.js';
export type { DeadLetter, DeadLetterStatus, DeliveryCounts, DeliveryCountsAt, FailedTurnInput } from './dead-letter-queries.js';
export type { BreakerChatRow, OutboxHead, SentReplyText } from './breaker-queries.js';
export {
  MAX_QUARANTINE_PAYLOAD_BYTES,
  MAX_QUARANTINE_ROWS,
  type QuarantineInsert,
  type QuarantineRow,
  type QuarantineStage,
} from './quarantine-queries.js';
export { STATE_DB_FILE, stateDbPath } from './paths.js';
export { MAX_TURNED_AWAY } from './pairing-queries.js';
export { UNSPECIFIED_DROP_REASON } from './journal-queries.js';
export type { CursorGeneration, GenerationReason, GenerationStart } from './generation-queries.js';
export type {
  ApprovedSenderRow,
  CommitHold,
  GroupHistoryEntry,
  GroupHistoryInsert,
  PairingRequestRow,
  InboundDecisionRow,
  InboundEntry,
  InboundState,
  OutboxInsert,
  OutboxRow,
  OutboxSource,
  OutboxState,
  OutboxStats,
  PendingInbound,
  StoreOptions,
} from './types.js';
export { type FlowEntry, type FlowRequest, type ReplyState } from './flow-queries.js';
export type { CollectedTurn, ReplyOutcome } from './turn-outcome.js';
export type { ReactionTargetRow } from './reaction-queries.js';
