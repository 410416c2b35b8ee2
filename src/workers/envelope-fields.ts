/**
 * What an ingestion outcome puts on the envelope's attachment entry (docs/envelope.md, A1/A5):
 * on success the agent gets the media-store copy (`path`), the sniffed `mimeType`, `sizeBytes`,
 * `sha256` and `ingested: true`; on failure `ingested: false` and a `problem`, while the rest of
 * the entry keeps what imsg reported (the message still goes through).
 */
import type { EnvelopeAttachment } from '../routing/envelope.js';
import type { IngestResult } from './protocol.js';

export type IngestedFields = Partial<Pick<EnvelopeAttachment, 'path' | 'mimeType' | 'sizeBytes' | 'sha256' | 'missing' | 'problem'>> &
  Pick<EnvelopeAttachment, 'ingested'>;

/** Fields to merge over imsg's metadata; `outcome` is an IngestResult or the error a pool task failed with. */
export function ingestedFields(outcome: IngestResult | Error): IngestedFields {
  if (outcome instanceof Error) return { ingested: false, problem: outcome.message };
  if (outcome.ok) {
    return { path: outcome.storedPath, mimeType: outcome.mimeType, sizeBytes: outcome.sizeBytes, sha256: outcome.sha256, ingested: true };
  }
  return outcome.kind === 'missing'
    ? { ingested: false, missing: true, problem: outcome.problem }
    : { ingested: false, problem: outcome.problem };
}
