/**
 * Replies and media end to end: chunked long replies, inbound attachments, outbound files. Against
 * both imsg-sim profiles (0.9 and 0.15).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteDatabase as Database } from '../../src/sqlite/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { agentLog, recordingAgent } from '../helpers/agents.js';
import { type GatewayProcess, ONE_TURN_PER_MESSAGE, openAccount, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES } from '../helpers/sim-profiles.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
});

/** A minimal valid PNG: signature and an IHDR chunk, enough for content sniffing. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

function outgoingAttachments(db: string): string[] {
  const conn = new Database(db, { readonly: true });
  try {
    return (
      conn
        .prepare(
          `SELECT a.filename AS f FROM message m JOIN message_attachment_join j ON j.message_id = m.ROWID
           JOIN attachment a ON a.ROWID = j.attachment_id WHERE m.is_from_me = 1 ORDER BY m.ROWID`,
        )
        .all() as Array<{ f: string }>
    ).map((r) => r.f);
  } finally {
    conn.close();
  }
}

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  const start = (config: Record<string, unknown>, home?: string) => startGateway(config, home, { simProfile: profile });

  describe('media and long replies', () => {
    it('splits a long reply into ordered chunks in the chat, the prefix on the first', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const log = join(dir, 'agent.log');
      const paragraphs = Array.from({ length: 6 }, (_, i) => `Paragraph ${i}: ${'word '.repeat(300).trim()}.`);
      const long = paragraphs.join('\n\n');
      gateway = start({
        imessage: openAccount(SIM_BIN, db, { textChunkLimit: 4000 }),
        agents: { list: [recordingAgent(dir, log, { text: long })] },
        messages: { responsePrefix: '[bot]' },
      });
      await gateway.waitForState('default', 'streaming');
      inject(db, { from: '+15557770001', text: 'tell me a story' });
      const chunks = await waitUntil(() => {
        const t = sentRows(db).map((r) => r.text);
        return t.length >= 3 ? t : undefined;
      }, 'the chunks');
      await new Promise((r) => setTimeout(r, 1000));
      const all = sentRows(db).map((r) => r.text);
      expect(all.length).toBe(chunks.length);
      for (const c of all) expect(c.length).toBeLessThanOrEqual(4000);
      expect(all[0]!.startsWith('[bot] Paragraph 0')).toBe(true);
      expect(all.slice(1).some((c) => c.startsWith('[bot]'))).toBe(false);
      expect(all.join(' ').replace(/\s+/g, ' ')).toBe(`[bot] ${long}`.replace(/\s+/g, ' '));
    });

    it('ingests an inbound attachment into the media store, and reports one it refuses while the message still goes through', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const log = join(dir, 'agent.log');
      const root = join(dir, 'Attachments');
      mkdirSync(root);
      const photo = join(root, 'IMG_0001.txt'); // a PNG under a misleading name: sniffed, not trusted
      writeFileSync(photo, PNG);
      const big = join(root, 'big.bin');
      writeFileSync(big, Buffer.alloc(300 * 1024, 1));
      gateway = start({
        imessage: openAccount(SIM_BIN, db, { includeAttachments: true, attachmentRoots: [root], mediaMaxMb: 0.25 }),
        agents: { list: [recordingAgent(dir, log)] },
        // One turn per message: each message's attachment is checked at the agent on its own.
        messages: ONE_TURN_PER_MESSAGE,
      });
      await gateway.waitForState('default', 'streaming');
      inject(db, { from: '+15557770002', text: 'look', attachment: photo });
      inject(db, { from: '+15557770002', text: 'and this', attachment: big });
      await waitUntil(() => (agentLog(log).length === 2 ? true : undefined), 'both messages at the agent');
      const [first, second] = agentLog(log);
      const a = first!.attachments[0]!;
      expect(a).toMatchObject({ ingested: true, mimeType: 'image/png', sizeBytes: PNG.length });
      expect(a.sha256).toBe(createHash('sha256').update(PNG).digest('hex'));
      expect(a.path.startsWith(join(gateway.home, 'media'))).toBe(true);
      expect(readFileSync(a.path).equals(PNG)).toBe(true);
      expect(second!.attachments[0]).toMatchObject({ ingested: false });
      expect(second!.attachments[0]!.problem).toMatch(/mediaMaxMb|larger|too large/i);
      await waitUntil(() => (sentRows(db).length === 2 ? true : undefined), 'both answered');
    });

    it('sends reply files staged where Messages reads them, after the text; and `send --file`', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const log = join(dir, 'agent.log');
      const staging = join(dir, 'staging');
      const file = join(dir, 'report.png');
      writeFileSync(file, PNG);
      gateway = start({
        imessage: openAccount(SIM_BIN, db, { outboundStagingDir: staging }),
        agents: { list: [recordingAgent(dir, log, { text: 'here it is', media: [file, join(dir, 'missing.png')] })] },
      });
      await gateway.waitForState('default', 'streaming');
      inject(db, { from: '+15557770003', text: 'send the report' });
      await waitUntil(() => (outgoingAttachments(db).length === 1 ? true : undefined), 'the file in the chat');
      expect(sentRows(db)[0]!.text).toBe('here it is');
      expect(outgoingAttachments(db)[0]!.startsWith(staging)).toBe(true);
      // No placeholder text for the file that could not be sent.
      expect(sentRows(db).map((r) => r.text).filter((t) => t.includes('<media'))).toEqual([]);

      const cli = runCli(['send', '--to', '+15557770003', '--file', file], gateway.home);
      expect(cli.code).toBe(0);
      await waitUntil(() => (outgoingAttachments(db).length === 2 ? true : undefined), 'the CLI file in the chat');
    });

    it('reconciles a file send whose answer never came, without sending the file twice', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const log = join(dir, 'agent.log');
      const file = join(dir, 'photo.png');
      writeFileSync(file, PNG);
      const slow = join(dir, 'slow');
      writeFileSync(slow, '');
      const cli = simWrapper(dir, 'imsg-slow', { IMSG_SIM_SLOW_SEND_MS: '4000', IMSG_SIM_SLOW_SEND_PHASE: 'after', IMSG_SIM_SLOW_SEND_FLAG: slow });
      gateway = start({
        imessage: openAccount(cli, db, { outboundStagingDir: join(dir, 'staging') }),
        agents: { list: [recordingAgent(dir, log, { text: '', media: [file] })] },
        gateway: { supervision: { sendTimeoutMs: 1000, backoffInitialMs: 200, stopTimeoutMs: 300 } },
      });
      await gateway.waitForState('default', 'streaming');
      inject(db, { from: '+15557770004', text: 'photo please' });
      await waitUntil(() => (gateway!.account('default')?.counters.sendUnknown ?? 0) >= 1 || undefined, 'the send deadline to pass');
      unlinkSync(slow);
      await waitUntil(() => gateway!.account('default')?.outbox.depth === 0 || undefined, 'the outbox to settle');
      await new Promise((r) => setTimeout(r, 1500));
      expect(outgoingAttachments(db)).toHaveLength(1);
      expect(gateway.account('default')!.counters.sent).toBe(1);
    });
  });
});
