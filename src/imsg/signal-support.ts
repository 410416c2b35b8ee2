/**
 * Whether the connected imsg offers the chat signals of issue 17 (typing, read receipts,
 * tapbacks in), from what it advertises (imsg-rpc-current.md §2.3). Pure.
 *
 * - `typing` / `read`: protocol v1 and listed in `status.methods` (usable now). A legacy imsg
 *   (0.13 or older) advertises nothing, so they are treated as absent there.
 * - `reactions` (`include_reactions` on the watch and messages.after): protocol v1 and
 *   `database.features.reactions` true. On a legacy imsg, asked for anyway: the watch has
 *   `include_reactions` since 0.5 (imsg-rpc-protocol.md §4.3, tapback rows with `is_reaction` &
 *   co., as on v1), and 0.3–0.4 ignore an unknown param silently (§2), so there are simply no
 *   tapbacks there. Legacy catch-up is the watch's own replay from `since_rowid`, so it covers them.
 *   (`typing` / `read` stay off on legacy: that imsg runs one request at a time, so a slow one
 *   would hold every read and send behind it, and nothing says which build has them.)
 */
import { methodAvailable, type ImsgServerInfo } from './server-info.js';

export type SignalCapability = 'typing' | 'read' | 'reactions';

export type SignalSupport = { ok: true } | { ok: false; why: string };

export function signalSupport(info: ImsgServerInfo | undefined, capability: SignalCapability): SignalSupport {
  if (!info) return { ok: false, why: 'imsg is not connected' };
  if (info.protocol !== 'v1') {
    if (capability === 'reactions') return { ok: true };
    return { ok: false, why: `imsg before 0.14 does not advertise \`${capability}\` (no status.methods)` };
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
