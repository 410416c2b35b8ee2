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

/**
 * Why the bridge's features (threaded replies, formatting, tapbacks) are unavailable, with the fix:
 * an imsg before 0.14 (the legacy protocol) has no bridge at all, so only an upgrade helps; a v1
 * imsg whose bridge is not running needs `imsg launch`.
 */
export function noBridgeReason(info: ImsgServerInfo | undefined): string {
  if (info === undefined) return 'imsg has not said what it can do yet (not connected)';
  if (info.protocol === 'legacy') {
    return info.fallback
      ? `imsg runs in legacy mode (${info.fallback}), which has no IMCore bridge`
      : 'imsg before 0.14 (legacy protocol, no status) has no IMCore bridge: upgrade imsg to 0.14 or later';
  }
  return NO_BRIDGE_REASON;
}

/** Why a tapback cannot be sent now (with the fix); undefined when it can. */
export function tapbackRefusal(info: ImsgServerInfo | undefined): string | undefined {
  if (tapbackAvailable(info)) return undefined;
  if (info?.protocol === 'v1' && info.supportedMethods !== null && !info.supportedMethods.includes('tapback')) {
    return `imsg does not advertise the tapback method: this imsg${info.version ? ` ${info.version}` : ''} has none (not in status.supported_methods); upgrade imsg`;
  }
  return `imsg does not advertise the tapback method: ${noBridgeReason(info)}`;
}
