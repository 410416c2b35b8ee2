/**
 * What the connected imsg can do beyond plain text, read from its negotiated status (issue 17):
 * threaded replies (`reply_to`) and native formatting (`text_formatting`) need the IMCore bridge
 * (imsg-rpc-current.md §3.3, §8.1); `tapback` is a bridge method listed in `methods` only while
 * the bridge runs; an arbitrary emoji tapback needs `capabilities.features["tapback.emoji"] ≥ 2`
 * (§2.3). Pure: every answer is false for a legacy imsg or an unknown one.
 */
import { type ImsgServerInfo, methodAvailable } from './server-info.js';

export function threadedRepliesAvailable(info: ImsgServerInfo | undefined): boolean {
  return info?.protocol === 'v1' && info.bridgeReady === true;
}

export function textFormattingAvailable(info: ImsgServerInfo | undefined): boolean {
  return info?.protocol === 'v1' && info.bridgeReady === true;
}

export function tapbackAvailable(info: ImsgServerInfo | undefined): boolean {
  return info !== undefined && info.protocol === 'v1' && methodAvailable(info, 'tapback');
}

/** `capabilities.features["tapback.emoji"]`; 0 when absent (the feature is then treated as absent). */
export function emojiTapbackVersion(info: ImsgServerInfo | undefined): number {
  return info?.features['tapback.emoji'] ?? 0;
}

export const NO_BRIDGE_REASON = 'imsg is not running its IMCore bridge (status.bridge.ready is false; the operator starts it with `imsg launch`)';
