import fs from 'node:fs';
import path from 'node:path';
import { SqliteDatabase as Database } from '../../src/sqlite/index.js';
import { describe, expect, it } from 'vitest';
import { injectCli, runCli, tempDb } from './sim-helper.js';

describe('imsg-sim CLI: init, inject, chats, history', () => {
  it('init creates parent dirs, mode 0600, WAL, the chat.db tables', () => {
    const { dir } = tempDb(false);
    const db = path.join(dir, 'nested', 'deeper', 'chat.db');
    expect(runCli(['init', '--db', db]).code).toBe(0);
    expect(fs.statSync(db).mode & 0o777).toBe(0o600);
    const conn = new Database(db, { readonly: true });
    expect(conn.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (conn.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]).map(
      (t) => t.name,
    );
    for (const t of ['handle', 'chat', 'message', 'chat_handle_join', 'chat_message_join', 'attachment', 'message_attachment_join']) {
      expect(tables).toContain(t);
    }
    conn.close();
  });

  it('inject writes a direct message as Messages.app would and prints id/guid/chat_id', () => {
    const { db } = tempDb();
    const out = injectCli(db, ['--from', '+15551234567', '--text', 'hello', '--date', '2026-01-15T13:00:00+01:00']);
    expect(Object.keys(out).sort()).toEqual(['chat_id', 'guid', 'id']);
    expect(out['guid']).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    const conn = new Database(db, { readonly: true, safeIntegers: true });
    const chat = conn.prepare('SELECT * FROM chat WHERE ROWID = ?').get(out['chat_id']) as Record<string, unknown>;
    expect(chat['guid']).toBe('iMessage;-;+15551234567');
    expect(chat['chat_identifier']).toBe('+15551234567');
    const msg = conn.prepare('SELECT * FROM message WHERE ROWID = ?').get(out['id']) as Record<string, unknown>;
    expect(msg['date']).toBe(790171200000000000n);
    const join = conn.prepare('SELECT * FROM chat_message_join WHERE message_id = ?').get(out['id']) as Record<string, unknown>;
    expect(join['message_date']).toBe(790171200000000000n);
    expect(conn.prepare('SELECT COUNT(*) AS n FROM chat_handle_join').get()).toEqual({ n: 1n });
    conn.close();
  });

  it('inject --group creates then reuses a ;+; group chat with the participants and attachment rows', () => {
    const { dir, db } = tempDb();
    const file = path.join(dir, 'photo.heic');
    fs.writeFileSync(file, Buffer.alloc(1234));
    const a = injectCli(db, ['--from', 'jane@example.com', '--text', 'one', '--group', 'Family', '--participants', '+15551234567,jane@example.com']);
    const b = injectCli(db, ['--from', '+15559990000', '--text', 'two', '--group', 'Family', '--attachment', file]);
    expect(b['chat_id']).toBe(a['chat_id']);
    const chats = runCli(['chats', '--db', db, '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(chats).toHaveLength(1);
    expect(chats[0].guid).toMatch(/^iMessage;\+;chat\d+$/);
    expect(chats[0].name).toBe('Family');
    expect(chats[0].is_group).toBe(true);
    expect(chats[0].participants).toEqual(['+15551234567', '+15559990000', 'jane@example.com']);
    const hist = runCli(['history', '--db', db, '--chat-id', String(a['chat_id']), '--json']).stdout.trim().split('\n');
    expect(hist[0]).toContain('"mime_type":"image\\/heic"');
    const msgs = hist.map((l) => JSON.parse(l));
    expect(msgs.map((m) => m.text)).toEqual(['two', 'one']);
    expect(msgs[0].attachments[0]).toMatchObject({ transfer_name: 'photo.heic', total_bytes: 1234, missing: false, uti: 'public.heic' });
    expect(msgs[1].attachments).toEqual([]);
    expect(msgs[1].reactions).toEqual([]);
  });

  it('chats and history text modes, reactions in history, --from-me', () => {
    const { db } = tempDb();
    const m = injectCli(db, ['--from', '+15551234567', '--text', 'hi there', '--date', '2026-01-15T12:00:00Z']);
    injectCli(db, ['--from', '+15551234567', '--reaction', 'love', '--target-guid', m['guid'], '--date', '2026-01-15T12:01:00Z']);
    injectCli(db, ['--from', '+15551234567', '--from-me', '--text', 'yo', '--date', '2026-01-15T12:02:00Z']);
    const chats = runCli(['chats', '--db', db]).stdout;
    expect(chats).toBe('[1] +15551234567 (+15551234567) last=2026-01-15T12:02:00.000Z\n');
    const text = runCli(['history', '--db', db, '--chat-id', '1']).stdout;
    expect(text).toBe(
      '2026-01-15T12:02:00.000Z [sent] +15551234567: yo\n2026-01-15T12:00:00.000Z [recv] +15551234567: hi there\n',
    );
    const json = runCli(['history', '--db', db, '--chat-id', '1', '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(json).toHaveLength(2);
    expect(json[0].is_from_me).toBe(true);
    expect(json[1].reactions).toEqual([
      { id: 2, type: 'love', emoji: '❤️', sender: '+15551234567', is_from_me: false, created_at: '2026-01-15T12:01:00.000Z' },
    ]);
  });

  it('errors are plain text on stdout with exit 1', () => {
    const { dir } = tempDb(false);
    const r = runCli(['chats', '--db', path.join(dir, 'missing.db')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Permission Error');
    expect(runCli(['history', '--db', path.join(dir, 'x.db')]).stdout).toContain('--chat-id');
    expect(runCli(['chats', '--bogus']).stdout).toBe('Unknown option: --bogus\n');
  });
});
