/**
 * The 0.15 profile's emulated bridge with `send.tracked` and `message.send_status` (issue 13,
 * item 5; current spec sections 3.3, 8.4, 8.5; checklist 43 and 44), and the AppleScript receipt
 * faults of section 8.2 (checklist 41): no row, the Tahoe ghost row, the ambiguous attachment.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/sim/args.js';
import { DEFAULT_VERIFY_WINDOW_MS, FAULT_OPTION_SPECS, resolveFaults } from '../../src/sim/faults.js';
import { SimWriter } from '../../src/sim/index.js';
import { SqliteDatabase } from '../../src/sqlite/index.js';
import { sentRows } from '../helpers/sim-db.js';
import { tempDb, type Json, simStarter } from './sim-helper.js';

const start = simStarter(['--profile', '0.15']);
const errorOf = (r: Json): Json => r['error'] as Json;
const PEER = '+15550001111';
const ATTEMPT = '8CC0C53A-7844-45EF-8B90-11F8A3E2CB66';
const attempt = ATTEMPT.toLowerCase();

/** A database where the peer has written once, so its direct chat exists (the bridge needs one). */
function dbWithChat(): { dir: string; db: string } {
  const t = tempDb();
  const w = new SimWriter(t.db);
  w.injectMessage({ from: PEER, text: 'hello' });
  w.close();
  return t;
}

function rows(db: string, sql: string, ...args: unknown[]): Json[] {
  const c = new SqliteDatabase(db, { readonly: true, fileMustExist: true });
  try {
    return c.prepare(sql).all(...(args as never[])) as Json[];
  } finally {
    c.close();
  }
}

describe('imsg-sim --profile 0.15: send.tracked over the emulated bridge', () => {
  it('43: listed in methods only with --tracked-bridge and a ready DB; message.send_status is always there with the DB', async () => {
    const { db } = dbWithChat();
    const plain = (await start(db).request('status'))['result'] as Json;
    expect(plain['methods']).not.toContain('send.tracked');
    expect(plain['methods']).toContain('message.send_status');
    expect(plain['bridge']['ready']).toBe(false);
    const bridged = (await start(db, ['--tracked-bridge']).request('initialize', { protocol_version: 1 }))['result'] as Json;
    expect(bridged['methods']).toEqual(expect.arrayContaining(['send', 'send.tracked', 'message.send_status']));
    expect(bridged['bridge']).toMatchObject({ ready: true, v2_ready: true, registry_available: true });
    expect(bridged['bridge']['selectors']).toMatchObject({ clientMessageGuidReservation: true });
    const { db: missing } = tempDb(false);
    const noDb = (await start(missing, [], { IMSG_SIM_TRACKED_BRIDGE: '1' }).request('status'))['result'] as Json;
    expect(noDb['methods']).not.toContain('send.tracked');
    expect(noDb['methods']).not.toContain('message.send_status');
  });

  it('43: success returns the lowercase attempt id as guid, message_id and attempt_id; the row carries it', async () => {
    const { db } = dbWithChat();
    const sim = start(db, ['--tracked-bridge']);
    const r = (await sim.request('send.tracked', { to: PEER, text: 'tracked hi', attempt_id: ATTEMPT }))['result'] as Json;
    expect(r).toEqual({
      ok: true,
      transport: 'bridge',
      guid: attempt,
      message_id: attempt,
      chat_guid: `iMessage;-;${PEER}`,
      service: 'iMessage',
      attempt_id: attempt,
    });
    expect(rows(db, 'SELECT text, is_from_me FROM message WHERE guid = ?', attempt)).toEqual([{ text: 'tracked hi', is_from_me: 1 }]);
    // The same attempt id again is refused before dispatch: the earlier attempt landed.
    const again = await sim.request('send.tracked', { chat_guid: `iMessage;-;${PEER}`, text: 'tracked hi', attempt_id: attempt });
    expect(errorOf(again)).toEqual({
      code: -32603,
      message: 'Delivery failed before dispatch',
      data: {
        retry_safe: true,
        disposition: 'not_started',
        transport: 'bridge_v2',
        operation: 'send',
        detail: 'attempt_id already identifies a message; choose a new UUID',
      },
    });
    expect(sentRows(db).map((x) => x.text)).toEqual(['tracked hi']);
  });

  it('43: validation texts in order', async () => {
    const { db } = dbWithChat();
    const sim = start(db, ['--tracked-bridge']);
    const cases: Array<[Json, string]> = [
      [{ to: PEER, text: 'x', bogus: 1 }, 'unknown send.tracked param: bogus'],
      [{ to: PEER, text: 'x' }, 'attempt_id must be a UUID'],
      [{ to: PEER, text: 'x', attempt_id: 'not-a-uuid' }, 'attempt_id must be a UUID'],
      [{ to: PEER, attempt_id: ATTEMPT }, 'text or file is required'],
      [{ to: PEER, text: 'x', file: '/tmp/x', attempt_id: ATTEMPT }, 'send.tracked supports exactly one text message'],
      [{ to: PEER, text: 'x', transport: 'applescript', attempt_id: ATTEMPT }, 'send.tracked requires bridge transport'],
      [{ to: '+15559990000', text: 'x', attempt_id: ATTEMPT }, 'bridge transport requires an existing chat target'],
    ];
    for (const [params, text] of cases) {
      const e = errorOf(await sim.request('send.tracked', params));
      expect([e['code'], e['data']]).toEqual([-32602, text]);
    }
    expect(sentRows(db)).toEqual([]);
  });

  it('43: without the bridge: -32602 under auto, not_started naming caller-owned GUIDs under transport bridge', async () => {
    const { db } = dbWithChat();
    const sim = start(db);
    const auto = errorOf(await sim.request('send.tracked', { to: PEER, text: 'x', attempt_id: ATTEMPT }));
    expect([auto['code'], auto['data']]).toEqual([-32602, 'bridge transport requires an existing chat target']);
    const bridge = errorOf(await sim.request('send.tracked', { to: PEER, text: 'x', transport: 'bridge', attempt_id: ATTEMPT }));
    expect(bridge['code']).toBe(-32603);
    expect(bridge['data']).toMatchObject({ disposition: 'not_started', detail: 'running bridge does not support caller-owned message GUIDs' });
    expect(sentRows(db)).toEqual([]);
  });

  it('--send-unknown-every hits tracked sends too: delivered under the attempt id, then -32001 "did not echo"', async () => {
    const { db } = dbWithChat();
    const sim = start(db, ['--tracked-bridge', '--send-unknown-every', '2']);
    expect((await sim.request('send.tracked', { to: PEER, text: 'one', attempt_id: crypto.randomUUID() }))['result']['ok']).toBe(true);
    const lost = await sim.request('send.tracked', { to: PEER, text: 'two', attempt_id: ATTEMPT });
    expect(errorOf(lost)).toEqual({
      code: -32001,
      message: 'Delivery outcome unknown',
      data: {
        retry_safe: false,
        disposition: 'may_have_completed',
        transport: 'bridge_v2',
        operation: 'send',
        detail: 'Bridge dispatched the tracked send but did not echo its exact message GUID.',
      },
    });
    const status = (await sim.request('message.send_status', { guid: attempt }))['result'] as Json;
    expect(status['send_state']).toBe('delivered');
    const resubmit = errorOf(await sim.request('send.tracked', { to: PEER, text: 'two', attempt_id: attempt }));
    expect(resubmit['data']['detail']).toBe('attempt_id already identifies a message; choose a new UUID');
    expect(sentRows(db).map((x) => x.text)).toEqual(['one', 'two']);
  });

  it('--send-no-row-every on a tracked send: nothing written, -32001 after the window; a resubmission sends it once', async () => {
    const { db } = dbWithChat();
    const sim = start(db, ['--tracked-bridge', '--send-no-row-every', '1', '--verify-window-ms', '300']);
    const began = Date.now();
    const e = errorOf(await sim.request('send.tracked', { to: PEER, text: 'late', attempt_id: ATTEMPT }));
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
    expect(e['code']).toBe(-32001);
    expect(e['data']).toMatchObject({ disposition: 'may_have_completed', transport: 'bridge_v2' });
    expect(((await sim.request('message.send_status', { guid: attempt }))['result'] as Json)['send_state']).toBe('pending');
    await sim.close();
    const fresh = start(db, ['--tracked-bridge']);
    expect((await fresh.request('send.tracked', { to: PEER, text: 'late', attempt_id: attempt }))['result']['guid']).toBe(attempt);
    expect(sentRows(db).map((x) => x.text)).toEqual(['late']);
  });
});

describe('imsg-sim --profile 0.15: message.send_status', () => {
  it('44: an unknown guid is pending with service and status_fields null (explicit nulls), no delivered_at', async () => {
    const { db } = dbWithChat();
    const sim = start(db);
    const r = (await sim.request('message.send_status', { guid: '  nope  ' }))['result'] as Json;
    expect(Object.keys(r).sort()).toEqual(['checked_at', 'guid', 'ok', 'send_state', 'service', 'status_fields']);
    expect(r).toMatchObject({ ok: true, guid: 'nope', send_state: 'pending', service: null, status_fields: null });
    expect(r['checked_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(errorOf(await sim.request('message.send_status', { guid: ' ' }))['data']).toBe('guid is required');
    expect(errorOf(await sim.request('message.send_status', {}))['data']).toBe('guid is required');
    expect(errorOf(await sim.request('message.send_status', { guid: 1 }))['data']).toBe('guid must be a string');
  });

  it('44: a sent row is delivered with every status field; an inbound row (nothing set) is pending; error != 0 is failed', async () => {
    const { db } = dbWithChat();
    const sim = start(db);
    const sent = (await sim.request('send', { to: PEER, text: 'out' }))['result'] as Json;
    const r = (await sim.request('message.send_status', { guid: sent['guid'] }))['result'] as Json;
    expect(r['send_state']).toBe('delivered');
    expect(r['service']).toBe('iMessage');
    expect(r['delivered_at']).toMatch(/Z$/);
    expect(r['status_fields']).toEqual({
      is_sent: true,
      is_delivered: true,
      is_finished: true,
      error: 0,
      date_delivered: r['delivered_at'],
      date_read: null,
      is_delayed: false,
      is_prepared: false,
      is_pending_satellite_send: false,
      was_downgraded: false,
    });
    const inbound = rows(db, 'SELECT guid FROM message WHERE is_from_me = 0')[0]!['guid'] as string;
    expect(((await sim.request('message.send_status', { guid: inbound }))['result'] as Json)['send_state']).toBe('pending');
    const w = new SimWriter(db);
    w.db.prepare('UPDATE message SET error = 22 WHERE guid = ?').run(sent['guid']);
    w.close();
    const failed = (await sim.request('message.send_status', { guid: sent['guid'] }))['result'] as Json;
    expect([failed['send_state'], failed['status_fields']['error']]).toEqual(['failed', 22]);
  });
});

describe('imsg-sim --profile 0.15: AppleScript receipt faults (section 8.2)', () => {
  it('the verification window defaults to 8 s and takes --verify-window-ms / IMSG_SIM_VERIFY_WINDOW_MS', () => {
    expect(DEFAULT_VERIFY_WINDOW_MS).toBe(8000);
    expect(resolveFaults(parseArgs([], FAULT_OPTION_SPECS), {}).verifyWindowMs).toBe(8000);
    expect(resolveFaults(parseArgs(['--verify-window-ms', '50'], FAULT_OPTION_SPECS), {}).verifyWindowMs).toBe(50);
    expect(resolveFaults(parseArgs([], FAULT_OPTION_SPECS), { IMSG_SIM_VERIFY_WINDOW_MS: '70' }).verifyWindowMs).toBe(70);
  });

  it('--send-no-row-every: writes nothing, waits the window, then -32001 with the no-receipt detail', async () => {
    const { db } = dbWithChat();
    const sim = start(db, ['--send-no-row-every', '2', '--verify-window-ms', '400']);
    expect((await sim.request('send', { to: PEER, text: 'a' }))['result']['ok']).toBe(true);
    const began = Date.now();
    const e = errorOf(await sim.request('send', { to: PEER, text: 'b' }));
    expect(Date.now() - began).toBeGreaterThanOrEqual(390);
    expect(e).toEqual({
      code: -32001,
      message: 'Delivery outcome unknown',
      data: {
        retry_safe: false,
        disposition: 'may_have_completed',
        transport: 'applescript',
        operation: 'send',
        detail: 'Messages automation returned success, but no matching outgoing text row was observed within 8 seconds.',
      },
    });
    expect(sentRows(db).map((x) => x.text)).toEqual(['a']);
  });

  it('IMSG_SIM_SEND_GHOST_ROW_EVERY: an unjoined empty row with handle = the chat guid, then -32001 naming its rowid', async () => {
    const { db } = dbWithChat();
    const sim = start(db, ['--verify-window-ms', '50'], { IMSG_SIM_SEND_GHOST_ROW_EVERY: '1' });
    const chatGuid = `iMessage;-;${PEER}`;
    const e = errorOf(await sim.request('send', { chat_guid: chatGuid, text: 'lost' }));
    const ghost = rows(
      db,
      `SELECT m.ROWID AS id, m.text AS text, h.id AS handle, (SELECT COUNT(*) FROM chat_message_join j WHERE j.message_id = m.ROWID) AS joins
       FROM message m JOIN handle h ON h.ROWID = m.handle_id WHERE m.is_from_me = 1`,
    );
    expect(ghost).toEqual([{ id: expect.any(Number), text: '', handle: chatGuid, joins: 0 }]);
    expect(e['code']).toBe(-32001);
    expect(e['data']).toEqual({
      retry_safe: false,
      disposition: 'may_have_completed',
      transport: 'applescript',
      operation: 'send',
      detail: `Messages accepted the chat send but wrote an unjoined empty outgoing row (${ghost[0]!['id']}); delivery to the target chat was not confirmed`,
    });
  });

  it('41: a file-only send returns its row id; --send-attachment-ambiguous-every: two matching rows, then -32001 (attachment detail)', async () => {
    const { dir, db } = dbWithChat();
    const file = path.join(dir, 'pic.png');
    fs.writeFileSync(file, 'png');
    const sim = start(db, ['--send-attachment-ambiguous-every', '2', '--verify-window-ms', '50']);
    // Text sends do not count toward the attachment switch.
    expect((await sim.request('send', { to: PEER, text: 'caption' }))['result']['ok']).toBe(true);
    const first = (await sim.request('send', { to: PEER, file }))['result'] as Json;
    expect(first['id']).toEqual(expect.any(Number));
    expect(first['message_id']).toBe(first['guid']);
    const e = errorOf(await sim.request('send', { to: PEER, file }));
    expect(e['code']).toBe(-32001);
    expect(e['data']['detail']).toBe('Messages automation returned success, but no matching outgoing attachment row was observed within 8 seconds.');
    const withFile = rows(
      db,
      `SELECT m.ROWID AS id, a.filename AS filename, j.chat_id AS chat FROM message m
       JOIN message_attachment_join maj ON maj.message_id = m.ROWID JOIN attachment a ON a.ROWID = maj.attachment_id
       JOIN chat_message_join j ON j.message_id = m.ROWID WHERE m.is_from_me = 1 ORDER BY m.ROWID`,
    );
    expect(withFile.map((r) => r['filename'])).toEqual([file, file, file]);
    expect(new Set(withFile.map((r) => r['chat'])).size).toBe(1);
  });
});
