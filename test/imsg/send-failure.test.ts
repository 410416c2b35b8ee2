/**
 * The send-failure rule (issue 13, item 1), as a table: each row is what the client raised for a
 * `send` (built through classifyRpcError, so `error.data` arrives as a string or as the §5.1
 * object exactly as imsg writes it) and what the outbox must do with it.
 */
import { describe, expect, it } from 'vitest';
import { classifyRpcError } from '../../src/imsg/classify.js';
import { ClientStoppedError, DeadlineError, ProcessExitedError } from '../../src/imsg/errors.js';
import { classifySendFailure, deliveryInfo, type SendOutcome } from '../../src/imsg/send-failure.js';
import { RpcError } from '../../src/imsg/errors.js';

const ctx = { binary: '/opt/homebrew/bin/imsg', dbPath: '/Users/me/Library/Messages/chat.db' };
const rpc = (code: number, message: string, data: unknown) => classifyRpcError('send', code, message, data, ctx);
const delivery = (disposition: string, retrySafe: boolean, transport = 'applescript') => ({
  retry_safe: retrySafe,
  disposition,
  transport,
  operation: 'send',
  detail: 'No additional diagnostic was available.',
});

type Expected = { kind: SendOutcome['kind']; poisonsLane?: boolean; childGone?: boolean };

const TABLE: Array<[string, unknown, Expected]> = [
  // a re-submitted send.tracked whose first attempt landed (§8.4): delivered, not an error
  [
    'send.tracked: attempt_id already identifies a message',
    rpc(-32603, 'Delivery failed before dispatch', { ...delivery('not_started', true, 'bridge_v2'), detail: 'attempt_id already identifies a message; choose a new UUID' }),
    { kind: 'delivered' },
  ],
  [
    'send.tracked: another not_started detail is a plain retry',
    rpc(-32603, 'Delivery failed before dispatch', { ...delivery('not_started', true, 'bridge_v2'), detail: 'running bridge does not support caller-owned message GUIDs' }),
    { kind: 'retry' },
  ],
  [
    'the "already identifies" text outside a not_started object is not a delivery',
    rpc(-32603, 'Internal error', 'attempt_id already identifies a message; choose a new UUID'),
    { kind: 'unknown' },
  ],
  // retry with backoff
  ['-32603 Delivery failed before dispatch, not_started', rpc(-32603, 'Delivery failed before dispatch', delivery('not_started', true)), { kind: 'retry' }],
  ['retry_safe:true with an unknown disposition', rpc(-32603, 'Delivery failed before dispatch', { retry_safe: true, disposition: 'queued_later' }), { kind: 'retry' }],
  ['-32000 Server busy (string data)', rpc(-32000, 'Server busy', 'outstanding request limit exceeded'), { kind: 'retry' }],
  // unknown: reconcile, never resend blindly
  ['-32001 may_have_completed (object data)', rpc(-32001, 'Delivery outcome unknown', delivery('may_have_completed', false)), { kind: 'unknown', poisonsLane: false, childGone: false }],
  ['-32001 with no data at all', rpc(-32001, 'Delivery outcome unknown', undefined), { kind: 'unknown', poisonsLane: false, childGone: false }],
  ['-32001 with a string data', rpc(-32001, 'Delivery outcome unknown', 'no receipt'), { kind: 'unknown', poisonsLane: false, childGone: false }],
  ['may_have_completed under another code', rpc(-32603, 'Internal error', delivery('may_have_completed', false, 'bridge_v2')), { kind: 'unknown', poisonsLane: false }],
  ['the mutation deadline passed', new DeadlineError('send', 60_000), { kind: 'unknown', poisonsLane: false, childGone: true }],
  ['the child died mid-send', new ProcessExitedError(null, 'SIGKILL', ''), { kind: 'unknown', poisonsLane: false, childGone: true }],
  ['the client stopped mid-send', new ClientStoppedError('send'), { kind: 'unknown', childGone: true }],
  ['imsg ≤0.13 -32603 AppleScript string (the Tahoe ghost row)', rpc(-32603, 'Internal error', 'AppleScript failed: Messages accepted the chat send but wrote an unjoined empty outgoing row (12); delivery to the target chat was not confirmed'), { kind: 'unknown', poisonsLane: false }],
  ['imsg ≤0.13 send-message timeout string', rpc(-32603, 'Internal error', "Timed out waiting for response to 'send-message'"), { kind: 'unknown' }],
  ['an undocumented code (-32005 aside)', rpc(-32099, 'Something new', 'x'), { kind: 'unknown' }],
  ['a non-imsg exception', new TypeError('boom'), { kind: 'unknown', childGone: false }],
  // the lane is poisoned
  ['-32001 still_in_flight', rpc(-32001, 'Delivery outcome unknown', delivery('still_in_flight', false, 'bridge_v2')), { kind: 'unknown', poisonsLane: true, childGone: false }],
  ['-32004 Mutation lane blocked (this one never ran, retry_safe:false notwithstanding)', rpc(-32004, 'Mutation lane blocked', delivery('still_in_flight', false)), { kind: 'blocked', poisonsLane: true }],
  // failed for good, with the fix
  ['Automation denied (-1743 string)', rpc(-32603, 'Internal error', 'AppleScript failed: 12:34: execution error: Not authorized to send Apple events to Messages. (-1743)'), { kind: 'failed' }],
  ['-32602 invalid target', rpc(-32602, 'Invalid params', 'unknown chat_id 42'), { kind: 'failed' }],
  ['-32602 Chat not found', rpc(-32602, 'Invalid params', 'Chat not found: iMessage;-;+1555'), { kind: 'failed' }],
];

describe('classifySendFailure', () => {
  it.each(TABLE)('%s', (_name, err, expected) => {
    const outcome = classifySendFailure(err);
    expect(outcome).toMatchObject(expected);
    expect(outcome.reason.length).toBeGreaterThan(0);
  });

  it('a failed send says why and how to fix it', () => {
    const denied = classifySendFailure(rpc(-32603, 'Internal error', 'AppleScript failed: Not authorized to send Apple events to Messages. (-1743)'));
    expect(denied).toMatchObject({ kind: 'failed', remediation: expect.stringContaining('Automation') });
    const invalid = classifySendFailure(rpc(-32602, 'Invalid params', 'unknown chat_id 42'));
    expect(invalid).toMatchObject({ kind: 'failed', reason: expect.stringContaining('unknown chat_id 42'), remediation: expect.stringContaining('Fix the request') });
  });

  it('reads the delivery object only from object data; unknown dispositions are none', () => {
    expect(deliveryInfo(rpc(-32001, 'Delivery outcome unknown', delivery('still_in_flight', false)) as RpcError)).toEqual({ disposition: 'still_in_flight', retrySafe: false });
    expect(deliveryInfo(rpc(-32603, 'Internal error', 'not_started') as RpcError)).toEqual({ disposition: undefined, retrySafe: undefined });
    expect(deliveryInfo(rpc(-32603, 'x', { disposition: 'delivered', retry_safe: 'yes' }) as RpcError)).toEqual({ disposition: undefined, retrySafe: undefined });
  });
});
