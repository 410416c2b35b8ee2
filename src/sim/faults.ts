import fs from 'node:fs';
import { ArgError, type ParsedArgs, type OptionSpec } from './args.js';
import { type OptionalCapability, parseWithout } from './signals.js';

export type PermissionForm = 'json' | 'text' | 'dump';

/** Fault switches: each an rpc flag and an environment variable (flags win). */
export interface FaultConfig {
  permissionDenied?: PermissionForm;
  permissionFlag?: string;
  exitAfterNotifications?: number;
  hangAfterRequests?: number;
  ignoreSigterm: boolean;
  garbageEvery?: number;
  slowSendMs: number;
  /** Where a slow send spends its time: before Messages writes the row, or after (verification). */
  slowSendPhase: 'before' | 'after';
  /** When set, sends are slow only while this file exists. */
  slowSendFlag?: string;
  automationDenied: boolean;
  automationFlag?: string;
  watchErrorAfter?: number;
  spawnLog?: string;
  pollMs: number;
  batchLimit: number;
  /**
   * Benchmark knob (`--replay FILE` / IMSG_SIM_REPLAY): after the first `watch.subscribe`, write
   * the file's notification lines to stdout as fast as the pipe takes them. Not faithful.
   */
  replay?: string;
  /**
   * Benchmark knob, environment only and deliberately not a flag (IMSG_SIM_DEBOUNCE_MS): force
   * every subscription's debounce to this value whatever the client asked for.
   */
  forceDebounceMs?: number;
  /** 0.15 profile: every subscription overflows at the first eligible message after N. */
  overflowAfter?: number;
  /** 0.15 profile: per-method delay before the handler runs (`method=ms,…`), to reorder reads. */
  methodDelays: Map<string, number>;
  /** 0.15 profile: reads and mutations wait (holding their lane slot) while this file exists. */
  holdFlag?: string;
  /** Messages writes a sent row this long after AppleScript returns (0.9: verified for 2 s). */
  sentRowDelayMs: number;
  /** 0.9 profile: start-up stalls this long on a Contacts prompt before reading stdin. */
  contactsStallMs: number;
  /** 0.15 profile: every Nth send writes its row, then answers -32001 may_have_completed. */
  sendUnknownEvery?: number;
  /** 0.15 profile: every Nth send answers -32603 not_started and writes nothing. */
  sendNotStartedEvery?: number;
  /** 0.15 profile: every Nth send writes its row, answers -32001 still_in_flight and poisons the mutation lane. */
  sendInFlightEvery?: number;
  /** 0.15 profile: every Nth send writes only the Tahoe ghost row (unjoined, empty), then answers -32001. */
  sendGhostRowEvery?: number;
  /** 0.15 profile: every Nth send writes nothing, waits the verification window, then answers -32001. */
  sendNoRowEvery?: number;
  /** 0.15 profile: every Nth file-only send writes two matching attachment rows, waits the window, then answers -32001. */
  sendAttachmentAmbiguousEvery?: number;
  /** 0.15 profile: how long imsg looks for the sent row before a miss (section 8.2; default 8 s). */
  verifyWindowMs: number;
  /** 0.15 profile: an emulated, ready bridge with caller-owned GUIDs: `send.tracked` is usable (section 8.4). */
  trackedBridge: boolean;
  /**
   * 0.15 profile: a full emulated bridge (`--bridge`): everything --tracked-bridge does, plus the
   * `tapback` method, `capabilities.features["tapback.emoji"] = 2`, and `send` rendering
   * `reply_to` / `text_formatting` (recorded in the bridge log, bridge-log.ts).
   */
  bridge: boolean;
  /** 0.15 profile, with --bridge: the `tapback.emoji` capability version advertised (default 2; 0 leaves it out). */
  tapbackEmoji: number;
  /** 0.15 profile: capabilities this build lacks (`--without typing,read,reactions`; docs/imsg-sim.md). */
  without: Set<OptionalCapability>;
  /** 0.15 profile: where `typing` and `read` are recorded (default `<db>.signals.jsonl`). */
  signalLog?: string;
  /** 0.15 profile: each `typing` call holds the mutation lane this long before it answers. */
  slowTypingMs: number;
  /** 0.15 profile: where mutation-lane admissions are recorded (lane-log.ts); off when unset. */
  laneLog?: string;
  /** 0.15 profile: replies name their parent's guid but carry no `reply_to_text` / `reply_to_sender`. */
  omitReplyText: boolean;
  /** 0.15 profile: `reply_to` is advertised (bridge) but every send carrying it is refused with -32602. */
  refuseReplyTo: boolean;
}

export const DEFAULT_POLL_MS = 5000;
export const DEFAULT_BATCH_LIMIT = 100;
export const DEFAULT_VERIFY_WINDOW_MS = 8000;

interface FaultDef {
  flag: string;
  env: string;
  kind: 'int' | 'bool' | 'string' | 'form';
}

export const FAULT_DEFS: FaultDef[] = [
  { flag: 'permission-denied', env: 'IMSG_SIM_PERMISSION_DENIED', kind: 'form' },
  { flag: 'permission-flag', env: 'IMSG_SIM_PERMISSION_FLAG', kind: 'string' },
  { flag: 'exit-after-notifications', env: 'IMSG_SIM_EXIT_AFTER_NOTIFICATIONS', kind: 'int' },
  { flag: 'hang-after-requests', env: 'IMSG_SIM_HANG_AFTER_REQUESTS', kind: 'int' },
  { flag: 'ignore-sigterm', env: 'IMSG_SIM_IGNORE_SIGTERM', kind: 'bool' },
  { flag: 'garbage-every', env: 'IMSG_SIM_GARBAGE_EVERY', kind: 'int' },
  { flag: 'slow-send-ms', env: 'IMSG_SIM_SLOW_SEND_MS', kind: 'int' },
  { flag: 'slow-send-phase', env: 'IMSG_SIM_SLOW_SEND_PHASE', kind: 'string' },
  { flag: 'slow-send-flag', env: 'IMSG_SIM_SLOW_SEND_FLAG', kind: 'string' },
  { flag: 'automation-denied', env: 'IMSG_SIM_AUTOMATION_DENIED', kind: 'bool' },
  { flag: 'automation-flag', env: 'IMSG_SIM_AUTOMATION_FLAG', kind: 'string' },
  { flag: 'watch-error-after', env: 'IMSG_SIM_WATCH_ERROR_AFTER', kind: 'int' },
  { flag: 'spawn-log', env: 'IMSG_SIM_SPAWN_LOG', kind: 'string' },
  { flag: 'poll-ms', env: 'IMSG_SIM_POLL_MS', kind: 'int' },
  { flag: 'batch-limit', env: 'IMSG_SIM_BATCH_LIMIT', kind: 'int' },
  { flag: 'replay', env: 'IMSG_SIM_REPLAY', kind: 'string' },
  { flag: 'overflow-after', env: 'IMSG_SIM_OVERFLOW_AFTER', kind: 'int' },
  { flag: 'method-delay', env: 'IMSG_SIM_METHOD_DELAY', kind: 'string' },
  { flag: 'hold-flag', env: 'IMSG_SIM_HOLD_FLAG', kind: 'string' },
  { flag: 'sent-row-delay-ms', env: 'IMSG_SIM_SENT_ROW_DELAY_MS', kind: 'int' },
  { flag: 'contacts-stall-ms', env: 'IMSG_SIM_CONTACTS_STALL_MS', kind: 'int' },
  { flag: 'send-unknown-every', env: 'IMSG_SIM_SEND_UNKNOWN_EVERY', kind: 'int' },
  { flag: 'send-not-started-every', env: 'IMSG_SIM_SEND_NOT_STARTED_EVERY', kind: 'int' },
  { flag: 'send-in-flight-every', env: 'IMSG_SIM_SEND_IN_FLIGHT_EVERY', kind: 'int' },
  { flag: 'send-ghost-row-every', env: 'IMSG_SIM_SEND_GHOST_ROW_EVERY', kind: 'int' },
  { flag: 'send-no-row-every', env: 'IMSG_SIM_SEND_NO_ROW_EVERY', kind: 'int' },
  { flag: 'send-attachment-ambiguous-every', env: 'IMSG_SIM_SEND_ATTACHMENT_AMBIGUOUS_EVERY', kind: 'int' },
  { flag: 'verify-window-ms', env: 'IMSG_SIM_VERIFY_WINDOW_MS', kind: 'int' },
  { flag: 'tracked-bridge', env: 'IMSG_SIM_TRACKED_BRIDGE', kind: 'bool' },
  { flag: 'bridge', env: 'IMSG_SIM_BRIDGE', kind: 'bool' },
  { flag: 'tapback-emoji', env: 'IMSG_SIM_TAPBACK_EMOJI', kind: 'int' },
  { flag: 'without', env: 'IMSG_SIM_WITHOUT', kind: 'string' },
  { flag: 'signal-log', env: 'IMSG_SIM_SIGNAL_LOG', kind: 'string' },
  { flag: 'slow-typing-ms', env: 'IMSG_SIM_SLOW_TYPING_MS', kind: 'int' },
  { flag: 'lane-log', env: 'IMSG_SIM_LANE_LOG', kind: 'string' },
  { flag: 'omit-reply-text', env: 'IMSG_SIM_OMIT_REPLY_TEXT', kind: 'bool' },
  { flag: 'refuse-reply-to', env: 'IMSG_SIM_REFUSE_REPLY_TO', kind: 'bool' },
];

function parseMethodDelays(raw: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!raw) return out;
  for (const part of raw.split(',')) {
    const m = /^\s*([A-Za-z._]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m) throw new ArgError(`Invalid value for option: --method-delay: ${raw} (method=ms,…)`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Hidden benchmark override (environment only, see FaultConfig.forceDebounceMs). */
export const FORCE_DEBOUNCE_ENV = 'IMSG_SIM_DEBOUNCE_MS';

export const FAULT_OPTION_SPECS: OptionSpec[] = FAULT_DEFS.map((d) => ({
  name: d.flag,
  takesValue: d.kind !== 'bool',
}));

function truthy(v: string): boolean {
  return v !== '' && v !== '0' && v.toLowerCase() !== 'false' && v.toLowerCase() !== 'no';
}

export function resolveFaults(args: ParsedArgs, env: NodeJS.ProcessEnv): FaultConfig {
  const raw = new Map<string, string | boolean>();
  for (const d of FAULT_DEFS) {
    const fromFlag = args.values.get(d.flag);
    if (fromFlag !== undefined) {
      raw.set(d.flag, fromFlag === true ? true : fromFlag);
      continue;
    }
    const fromEnv = env[d.env];
    if (fromEnv === undefined || fromEnv === '') continue;
    raw.set(d.flag, d.kind === 'bool' ? truthy(fromEnv) : fromEnv);
  }
  const int = (name: string, min = 0): number | undefined => {
    const v = raw.get(name);
    if (v === undefined || typeof v === 'boolean') return undefined;
    if (!/^\s*\d+\s*$/.test(v) || Number(v) < min) throw new ArgError(`Invalid value for option: --${name}: ${v}`);
    return Number(v);
  };
  const s = (name: string): string | undefined => {
    const v = raw.get(name);
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  let form: PermissionForm | undefined;
  const formRaw = s('permission-denied');
  if (formRaw !== undefined) {
    if (formRaw !== 'json' && formRaw !== 'text' && formRaw !== 'dump') {
      throw new ArgError(`Invalid value for option: --permission-denied: ${formRaw} (json|text|dump)`);
    }
    form = formRaw;
  }
  const phase = s('slow-send-phase') ?? 'before';
  if (phase !== 'before' && phase !== 'after') {
    throw new ArgError(`Invalid value for option: --slow-send-phase: ${phase} (before|after)`);
  }
  const cfg: FaultConfig = {
    ignoreSigterm: raw.get('ignore-sigterm') === true,
    slowSendMs: int('slow-send-ms') ?? 0,
    slowSendPhase: phase,
    automationDenied: raw.get('automation-denied') === true,
    pollMs: int('poll-ms', 1) ?? DEFAULT_POLL_MS,
    batchLimit: int('batch-limit', 1) ?? DEFAULT_BATCH_LIMIT,
    methodDelays: parseMethodDelays(s('method-delay')),
    sentRowDelayMs: int('sent-row-delay-ms') ?? 0,
    contactsStallMs: int('contacts-stall-ms') ?? 0,
    verifyWindowMs: int('verify-window-ms') ?? DEFAULT_VERIFY_WINDOW_MS,
    trackedBridge: raw.get('tracked-bridge') === true || raw.get('bridge') === true,
    bridge: raw.get('bridge') === true,
    tapbackEmoji: int('tapback-emoji') ?? 2,
    without: parseWithout(s('without')),
    slowTypingMs: int('slow-typing-ms') ?? 0,
    omitReplyText: raw.get('omit-reply-text') === true,
    refuseReplyTo: raw.get('refuse-reply-to') === true,
  };
  const lanel = s('lane-log');
  if (lanel) cfg.laneLog = lanel;
  const sigl = s('signal-log');
  if (sigl) cfg.signalLog = sigl;
  const sgr = int('send-ghost-row-every', 1);
  if (sgr !== undefined) cfg.sendGhostRowEvery = sgr;
  const snr = int('send-no-row-every', 1);
  if (snr !== undefined) cfg.sendNoRowEvery = snr;
  const saa = int('send-attachment-ambiguous-every', 1);
  if (saa !== undefined) cfg.sendAttachmentAmbiguousEvery = saa;
  const sue = int('send-unknown-every', 1);
  if (sue !== undefined) cfg.sendUnknownEvery = sue;
  const sns = int('send-not-started-every', 1);
  if (sns !== undefined) cfg.sendNotStartedEvery = sns;
  const sif = int('send-in-flight-every', 1);
  if (sif !== undefined) cfg.sendInFlightEvery = sif;
  const oa = int('overflow-after');
  if (oa !== undefined) cfg.overflowAfter = oa;
  const hf = s('hold-flag');
  if (hf) cfg.holdFlag = hf;
  if (form) cfg.permissionDenied = form;
  const pf = s('permission-flag');
  if (pf) cfg.permissionFlag = pf;
  const ean = int('exit-after-notifications');
  if (ean !== undefined) cfg.exitAfterNotifications = ean;
  const har = int('hang-after-requests');
  if (har !== undefined) cfg.hangAfterRequests = har;
  const ge = int('garbage-every', 1);
  if (ge !== undefined) cfg.garbageEvery = ge;
  const af = s('automation-flag');
  if (af) cfg.automationFlag = af;
  const wea = int('watch-error-after');
  if (wea !== undefined) cfg.watchErrorAfter = wea;
  const ssf = s('slow-send-flag');
  if (ssf) cfg.slowSendFlag = ssf;
  const sl = s('spawn-log');
  if (sl) cfg.spawnLog = sl;
  const rp = s('replay');
  if (rp) cfg.replay = rp;
  const fd = env[FORCE_DEBOUNCE_ENV];
  if (fd !== undefined && fd !== '') {
    if (!/^\s*\d+\s*$/.test(fd)) throw new ArgError(`Invalid value for ${FORCE_DEBOUNCE_ENV}: ${fd}`);
    cfg.forceDebounceMs = Number(fd);
  }
  return cfg;
}

/** The permission fault in force for this process start, or null. */
export function activePermissionForm(cfg: FaultConfig): PermissionForm | null {
  if (cfg.permissionFlag !== undefined) {
    return fs.existsSync(cfg.permissionFlag) ? (cfg.permissionDenied ?? 'json') : null;
  }
  return cfg.permissionDenied ?? null;
}

/** How long this send is delayed in the given phase (0: not slow). */
export function slowSendDelay(cfg: FaultConfig, phase: 'before' | 'after'): number {
  if (cfg.slowSendMs <= 0 || cfg.slowSendPhase !== phase) return 0;
  if (cfg.slowSendFlag !== undefined && !fs.existsSync(cfg.slowSendFlag)) return 0;
  return cfg.slowSendMs;
}

/** Whether a send is refused with the Automation (-1743) error right now. */
export function automationDeniedNow(cfg: FaultConfig): boolean {
  if (cfg.automationDenied) return true;
  return cfg.automationFlag !== undefined && fs.existsSync(cfg.automationFlag);
}

export function appendSpawnLog(file: string, argv: string[]): void {
  try {
    fs.appendFileSync(file, `${JSON.stringify({ pid: process.pid, at: new Date().toISOString(), argv })}\n`);
  } catch {
    // A spawn log that cannot be written must not change the simulated behaviour.
  }
}
