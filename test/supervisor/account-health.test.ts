/** Issue 11, item 3: "status said streaming with lastError null while messages were held". */
import { describe, expect, it } from 'vitest';
import { accountHealth, INTERNAL_ERROR_DEGRADED_MS, QUARANTINE_DEGRADED_MS } from '../../src/supervisor/account-health.js';

const now = Date.parse('2026-03-01T12:00:00.000Z');
const base = { now, heldMessages: 0, quarantined: 0, pausedChats: [] as string[] };

describe('accountHealth (pure projection)', () => {
  it('is ok when nothing is wrong', () => {
    expect(accountHealth(base)).toEqual({ health: 'ok', degradedReasons: [] });
  });

  it('held messages and a store that refuses writes make it degraded, with both reasons (held-messages finding)', () => {
    const h = accountHealth({ ...base, heldMessages: 115, storeFailure: { since: now - 5000, error: 'disk is full' } });
    expect(h.health).toBe('degraded');
    expect(h.degradedReasons.map((r) => r.code)).toEqual(['store-write-failed', 'held-messages']);
    expect(h.degradedReasons[1]?.message).toContain('115 messages held');
    expect(h.degradedReasons[0]?.message).toContain('disk is full');
  });

  it('a quarantine makes it degraded for an hour, naming the last reason', () => {
    const q = { at: now - 1000, reason: 'invalid message field attachments[0] (invalid_type)', rowid: 7 };
    const h = accountHealth({ ...base, quarantined: 2, lastQuarantine: q });
    expect(h.degradedReasons).toHaveLength(1);
    expect(h.degradedReasons[0]?.code).toBe('quarantined');
    expect(h.degradedReasons[0]?.message).toContain('attachments[0]');
    expect(h.degradedReasons[0]?.message).toContain('row 7');
    const later = accountHealth({ ...base, now: q.at + QUARANTINE_DEGRADED_MS, quarantined: 2, lastQuarantine: q });
    expect(later.health).toBe('ok');
  });

  it('a paused chat and an internal error make it degraded', () => {
    expect(accountHealth({ ...base, pausedChats: ['chat_id:4'] }).degradedReasons[0]?.code).toBe('chat-paused');
    expect(accountHealth({ ...base, internalError: { at: now, error: 'TypeError: x' } }).degradedReasons[0]?.code).toBe('internal-error');
  });

  it('after a restart the internal error stays visible for a while, then the account is ok', () => {
    const crash = { at: now, error: 'TypeError: x', restarted: true };
    const soon = accountHealth({ ...base, now: now + 1000, internalError: crash });
    expect(soon.degradedReasons).toEqual([{ code: 'internal-error', message: expect.stringContaining('account restarted: TypeError: x') }]);
    expect(accountHealth({ ...base, now: now + INTERNAL_ERROR_DEGRADED_MS, internalError: crash }).health).toBe('ok');
    // while the account is still restarting, no window applies
    expect(accountHealth({ ...base, now: now + INTERNAL_ERROR_DEGRADED_MS, internalError: { at: now, error: 'x' } }).health).toBe('degraded');
  });
});
