/** The per-version key allow-list (imsg-rpc-current.md §3.3, §3.4) and strict JSON types. */
import { describe, expect, it } from 'vitest';
import { acceptedKeys, shapeParams } from '../../src/imsg/v1-params.js';

describe('shapeParams', () => {
  it('drops keys v1 does not accept (a v1 imsg would refuse the whole request)', () => {
    const r = shapeParams('watch.subscribe', { since_rowid: 5, attachments: false, chatId: 3 }, 'v1');
    expect(r).toEqual({ params: { since_rowid: 5, attachments: false }, dropped: ['chatId'], invalid: [] });
  });

  it('omits null and undefined instead of sending them', () => {
    expect(shapeParams('chats.list', { limit: 1, unread: undefined, x: null }, 'v1').params).toEqual({ limit: 1 });
  });

  it('refuses numeric strings, floats, CSV participants and zero limits', () => {
    const r = shapeParams('messages.history', { chat_id: '3', limit: 1.5, participants: 'a,b', attachments: 'true' }, 'v1');
    expect(r.invalid).toEqual(['chat_id: posint', 'limit: posint', 'participants: strings', 'attachments: bool']);
    expect(shapeParams('chats.list', { limit: 0 }, 'v1').invalid).toEqual(['limit: posint']);
    expect(shapeParams('messages.after', { since_rowid: -1 }, 'v1').invalid).toEqual(['since_rowid: nonneg']);
  });

  it('watch.subscribe since_rowid may be negative (replay all) on both protocols', () => {
    expect(shapeParams('watch.subscribe', { since_rowid: -1 }, 'v1').invalid).toEqual([]);
    expect(shapeParams('watch.subscribe', { since_rowid: -1 }, 'legacy').invalid).toEqual([]);
  });

  it('legacy: buffer_limit (0.14+) is not sent; v1 accepts it', () => {
    expect(shapeParams('watch.subscribe', { buffer_limit: 1024 }, 'legacy').dropped).toEqual(['buffer_limit']);
    expect(shapeParams('watch.subscribe', { buffer_limit: 1024 }, 'v1').dropped).toEqual([]);
  });

  it('the gateway’s send params pass as they are', () => {
    const dm = { to: '+15551234567', region: 'US', service: 'imessage', text: 'hi', file: '/tmp/a.png' };
    expect(shapeParams('send', dm, 'v1')).toEqual({ params: dm, dropped: [], invalid: [] });
    expect(shapeParams('send', { chat_id: 4, text: 'hi' }, 'v1').invalid).toEqual([]);
  });

  it('status takes no keys; initialize only protocol_version', () => {
    expect(acceptedKeys('status', 'v1')).toEqual([]);
    expect(acceptedKeys('initialize', 'v1')).toEqual(['protocol_version']);
    expect(acceptedKeys('status', 'legacy')).toBeUndefined();
  });
});
