/**
 * A stand-in for the account machine's `imsgChild` actor in unit tests of the machine (pure
 * decisions only): "spawns" at once (CHILD_SPAWNED), hands its sendBack to the test so it can play
 * exits, hangs and watch events, and counts its cleanups (the real one stops the process group).
 */
import { fromCallback } from 'xstate';
import type { AccountEvent, ConnectInput } from '../../src/machines/account-machine.js';

export function fakeChild(hooks: { onSendBack?: (sendBack: (e: AccountEvent) => void) => void; onRelease?: () => void } = {}) {
  return fromCallback<AccountEvent, ConnectInput>(({ sendBack }) => {
    hooks.onSendBack?.(sendBack);
    sendBack({ type: 'CHILD_SPAWNED' });
    return () => hooks.onRelease?.();
  });
}
