/** Public surface of src/workers (see docs/media.md). */
export {
  CHUNK_LIMIT_UNIT,
  DEFAULT_TEXT_CHUNK_LIMIT,
  MIN_CHUNK_LIMIT,
  chunkLength,
  chunkText,
  exceedsChunkLimit,
  planChunks,
  type ChunkPiece,
} from './chunk-text.js';
export { DEFAULT_ATTACHMENT_ROOTS, ingestAttachment, sniffType } from './ingest-attachment.js';
export { ingestedFields, type IngestedFields } from './envelope-fields.js';
export {
  DEFAULT_FETCH_ATTEMPTS,
  detectRemoteHost,
  detectRemoteSsh,
  fetchRemoteFile,
  parseWrapperScript,
  type RemoteFetchOptions,
  type RemoteFetchResult,
  type RemoteSshTarget,
} from './remote-fetch.js';
export {
  DEFAULT_STAGE_TIMEOUT_MS,
  DEFAULT_STAGING_DIR,
  cleanupStaged,
  stageOutboundFile,
  type StageOutboundOptions,
  type StageResult,
} from './stage-outbound.js';
export {
  DEFAULT_INLINE_CHUNK_BELOW,
  DEFAULT_TASK_TIMEOUT_MS,
  WorkerPool,
  createPool,
  defaultThreadCount,
  defaultWorkerFilename,
  type PoolStats,
  type TaskOptions,
  type WorkerPoolOptions,
} from './pool.js';
export { MediaStoreError, WorkerTaskError, type WorkerTaskErrorKind } from './errors.js';
export type { IngestFailureKind, IngestRequest, IngestResult, WorkerTask } from './protocol.js';
