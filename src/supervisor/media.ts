/**
 * An account's media work, done in the worker pool: ingesting inbound attachments into the media
 * store (copied, sniffed, hashed, size-capped, only from allowed roots; fetched over SSH first when
 * imsg runs on another Mac) and staging outbound files where Messages can read them.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AccountConfig } from '../config/index.js';
import type { EnvelopeAttachment } from '../routing/envelope.js';
import {
  DEFAULT_ATTACHMENT_ROOTS,
  DEFAULT_STAGING_DIR,
  detectRemoteHost,
  fetchRemoteFile,
  ingestedFields,
  stageOutboundFile,
  type WorkerPool,
} from '../workers/index.js';

const MB = 1024 * 1024;

export class AccountMedia {
  readonly remoteHost: string | undefined;

  constructor(
    private readonly account: AccountConfig,
    private readonly pool: WorkerPool,
    private readonly mediaDir: string,
    private readonly logger: Logger,
  ) {
    this.remoteHost = account.remoteHost ?? safeDetect(account.cliPath);
  }

  get maxBytes(): number {
    return Math.floor(this.account.mediaMaxMb * MB);
  }

  /** Ingests every attachment of an envelope; a failure becomes that attachment's `problem`, never the message's. */
  async ingestAll(attachments: EnvelopeAttachment[]): Promise<EnvelopeAttachment[]> {
    return Promise.all(attachments.map((a) => this.ingestOne(a)));
  }

  private async ingestOne(attachment: EnvelopeAttachment): Promise<EnvelopeAttachment> {
    if (attachment.missing || attachment.path === '') {
      return { ...attachment, ingested: false, problem: attachment.problem ?? 'the file is missing on the Mac' };
    }
    if (attachment.sizeBytes > this.maxBytes) {
      return { ...attachment, ingested: false, problem: `larger than imessage.mediaMaxMb (${this.account.mediaMaxMb} MB)` };
    }
    try {
      let path = attachment.path;
      let roots = this.account.attachmentRoots ?? [...DEFAULT_ATTACHMENT_ROOTS];
      if (this.remoteHost) {
        const dir = mkdtempSync(join(this.mediaDir, '.remote-'));
        const fetched = await fetchRemoteFile({
          remoteHost: this.remoteHost,
          remotePath: attachment.path,
          destPath: join(dir, attachment.name || 'attachment'),
          maxBytes: this.maxBytes,
          timeoutMs: 60_000,
          attempts: 3,
        });
        if (!fetched.ok) return { ...attachment, ingested: false, problem: fetched.problem };
        path = fetched.destPath;
        roots = [dir];
      }
      const result = await this.pool.ingest({ path, mediaDir: this.mediaDir, maxBytes: this.maxBytes, roots });
      return { ...attachment, ...ingestedFields(result) };
    } catch (err) {
      this.logger.warn({ name: attachment.name, err: (err as Error).message }, 'attachment not ingested');
      return { ...attachment, ...ingestedFields(err as Error) };
    }
  }

  /** Copies an outbound file where Messages can read it; undefined (and a logged reason) if it cannot go. */
  async stage(file: string): Promise<string | undefined> {
    const result = await stageOutboundFile({
      file,
      maxBytes: this.maxBytes,
      stagingDir: this.account.outboundStagingDir ?? DEFAULT_STAGING_DIR,
      ...(this.remoteHost ? { remoteHost: this.remoteHost } : {}),
    });
    if (result.ok) return result.stagedPath;
    this.logger.warn({ file }, `file not sent: ${result.problem}`);
    return undefined;
  }
}

function safeDetect(cliPath: string): string | undefined {
  try {
    return detectRemoteHost(cliPath);
  } catch {
    return undefined;
  }
}
