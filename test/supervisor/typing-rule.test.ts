/**
 * The typing rule (issue 17, item 1): a typing request never goes in front of a chat's waiting
 * reply in imsg's FIFO mutation lane, never on top of an outstanding one, and the stop only once
 * nothing works and nothing waits.
 */
import { describe, expect, it } from 'vitest';
import { typingRequest, type TypingView } from '../../src/supervisor/typing-rule.js';

const view = (v: Partial<TypingView>): TypingView => ({ working: 0, awaitingSends: 0, inFlight: false, shown: false, ...v });

describe('typingRequest', () => {
  it.each([
    ['an agent works, nothing waits: show (or renew)', view({ working: 1 }), 'on'],
    ['renewal while shown', view({ working: 1, shown: true }), 'on'],
    ['a start or renewal of the chat is outstanding: not another on top', view({ working: 1, shown: true, inFlight: true }), 'none'],
    ['a reply of the chat waits in the outbox: renewals held', view({ working: 1, shown: true, awaitingSends: 1 }), 'none'],
    ['the last turn is done but its reply is not handed to imsg yet: no stop in front of it', view({ shown: true, awaitingSends: 1 }), 'none'],
    ['replies handed over, nothing works: stop', view({ shown: true }), 'off'],
    ['replies handed over, a stop behind an outstanding renewal is fine', view({ shown: true, inFlight: true }), 'off'],
    ['never shown (answered within the grace): nothing to stop', view({}), 'none'],
  ] as const)('%s', (_name, v, want) => {
    expect(typingRequest(v)).toBe(want);
  });
});
