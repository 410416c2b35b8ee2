/**
 * Whether the connected imsg offers the chat signals of issue 17 (typing, read receipts,
 * tapbacks in), from what it advertises (imsg-rpc-current.md §2.3). Pure.
 *
 * - `typing` / `read`: protocol v1 and listed in `status.methods` (usable now). A legacy imsg
 *   (0.13 or older) advertises nothing, so they are treated as absent there.
 * - `reactions` (`include_reactions` on the watch and messages.after): protocol v1 and
 *   `database.features.reactions` true.
 */
import { methodAvailable, type ImsgServerInfo } from './server-info.js';

export type SignalCapability = 'typing' | 'read' | 'reactions';

export type SignalSupport = { ok: true } | { ok: false; why: string };

export function signalSupport(info: ImsgServerInfo | undefined, capability: SignalCapability): SignalSupport {
  if (!info) return { ok: false, why: 'imsg is not connected' };
  if (info.protocol !== 'v1') {
    return { ok: false, why: `imsg before 0.14 does not advertise ${capability === 'reactions' ? 'reactions' : `\`${capability}\``} (no status.methods)` };
  }
  if (capability === 'reactions') {
    return info.database?.features?.reactions === true
      ? { ok: true }
      : { ok: false, why: 'this imsg does not advertise reactions (status.database.features.reactions is not true)' };
  }
  return methodAvailable(info, capability)
    ? { ok: true }
    : { ok: false, why: `this imsg does not advertise \`${capability}\` (not in status.methods)` };
}
