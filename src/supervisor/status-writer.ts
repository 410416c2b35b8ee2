/**
 * When the status file (<home>/status.json) is written (issue 15, idle CPU). It is what
 * `imessage-gateway status` reads when the control API does not answer, so it must follow every
 * change, but an idle fleet should not rewrite 100 unchanged accounts every second:
 * - `tick()`: builds the status and writes it when it differs from the last one written in
 *   anything but `updatedAt` and `eventLoop` (which move on their own), or when the last write is
 *   `heartbeatMs` old (so `updatedAt` still says, within that, when the gateway last ran);
 * - `periodic()` (the gateway's status timer, every second): a tick when something may have moved
 *   since the last build (a live-view client listens, the store committed, or the last build
 *   differed from the one before it: things are moving), otherwise only every `idleBuildMs`. An idle
 *   fleet of 100 accounts spent a sixth of its main thread building a status that had not changed;
 *   what changes without a commit or a state change (a health window closing with time, a delivery
 *   becoming overdue) shows within `idleBuildMs`, and at every second once it moves;
 * - `request()` (a state change, a reload, a restart): one build and write for all the requests
 *   made until it runs, at the end of the current event-loop turn, and never sooner than
 *   `spacingMs` after the previous one: a stop whose N accounts each change state two or three
 *   times costs a build every `spacingMs` at most, not a build of all N accounts per change (which
 *   made a stop O(N²));
 * - `final()` (the stop): written whatever it holds; nothing is written after it.
 * A write that fails is retried at the next tick, periodic() or request (the caller logs it once).
 */
import type { Clock } from '../util/clock.js';
import type { GatewayStatus } from './status.js';

/** The longest an unchanged status file goes without being rewritten while the gateway runs. */
export const STATUS_HEARTBEAT_MS = 30_000;
/** The shortest time between two writes asked for by changes (the status file lags a change by at most this). */
export const STATUS_SPACING_MS = 100;
/** The longest periodic() waits between two builds while nothing says anything moved. */
export const STATUS_IDLE_BUILD_MS = 5000;

export interface StatusWriterOptions {
  /** The whole status, now. */
  build: () => GatewayStatus;
  /** Writes the file; false when it could not (the caller says why, once). */
  write: (status: GatewayStatus) => boolean;
  clock: Clock;
  /** Runs `fn` once the current event-loop turn's work is done (setImmediate). */
  defer: (fn: () => void) => void;
  /**
   * A value that moves whenever something the status shows may have moved without a state change
   * (the store's commit count): compared with `!==`, so NaN (cannot say) always builds.
   */
  activity?: () => unknown;
  heartbeatMs?: number;
  spacingMs?: number;
  idleBuildMs?: number;
}

export class StatusWriter {
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  /** A requested write is scheduled (deferred, or on a timer until the spacing has passed). */
  private requested = false;
  private timer: unknown;
  private lastRequestedAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** When the status was last built, the activity value then, and whether it differed from the build before. */
  private lastBuildAt = Number.NEGATIVE_INFINITY;
  private lastActivity: unknown;
  private moving = true;
  /** The content of the last status built, without its volatile fields. */
  private lastBuilt: object | undefined;
  /** The file holds the content of the last status built (false after a change, or a failed write). */
  private written = false;

  constructor(private readonly o: StatusWriterOptions) {}

  /** Builds the status (returned, for the live view) and writes it if it changed or is due. */
  tick(): GatewayStatus {
    const status = this.built();
    if (!this.closed) this.save(status, false);
    return status;
  }

  /**
   * The status timer: a tick when something may have moved (`live`: a live-view client wants the
   * status each second; the activity value moved; the last build changed; its write failed), or
   * when the last build is `idleBuildMs` old; otherwise nothing is built and undefined is returned.
   */
  periodic(live: boolean): GatewayStatus | undefined {
    const quiet = this.o.clock.now() - this.lastBuildAt < (this.o.idleBuildMs ?? STATUS_IDLE_BUILD_MS);
    if (!live && !this.moving && this.written && quiet && this.o.activity?.() === this.lastActivity) return undefined;
    return this.tick();
  }

  /** Something changed: one write for every request made until it runs (end of this turn, spacing permitting). */
  request(): void {
    if (this.requested || this.closed) return;
    this.requested = true;
    const wait = this.lastRequestedAt + (this.o.spacingMs ?? STATUS_SPACING_MS) - this.o.clock.now();
    if (wait <= 0) this.o.defer(() => this.runRequested());
    else this.timer = this.o.clock.setTimeout(() => this.runRequested(), wait);
  }

  /** The last write (the gateway stops): always written; later ticks and requests write nothing. */
  final(status: GatewayStatus): void {
    this.closed = true;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.save(status, true);
  }

  private runRequested(): void {
    this.requested = false;
    this.timer = undefined;
    if (this.closed) return;
    this.lastRequestedAt = this.o.clock.now();
    this.save(this.built(), false);
  }

  /** Builds the status, noting when, the activity value before it, and whether its content moved. */
  private built(): GatewayStatus {
    this.lastActivity = this.o.activity?.();
    this.lastBuildAt = this.o.clock.now();
    const status = this.o.build();
    const content = comparable(status);
    this.moving = this.lastBuilt === undefined || !sameJson(content, this.lastBuilt);
    this.lastBuilt = content;
    if (this.moving) this.written = false;
    return status;
  }

  private save(status: GatewayStatus, force: boolean): void {
    const now = this.o.clock.now();
    const due = now - this.lastWriteAt >= (this.o.heartbeatMs ?? STATUS_HEARTBEAT_MS);
    if (!force && !due && this.written) return;
    const ok = this.o.write(status);
    this.written = ok;
    if (ok) this.lastWriteAt = now;
  }
}

/** The status without the fields that move on their own while nothing happens. */
function comparable(status: GatewayStatus): object {
  const { updatedAt: _updatedAt, eventLoop: _eventLoop, ...rest } = status;
  return rest;
}

/**
 * True when `a` and `b` serialise to the same JSON (a property holding undefined counts as absent,
 * as in JSON.stringify; key order aside). A walk, not two serialisations: the status of 100
 * accounts is about 300 kB of JSON, compared every second.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return typeof a === 'number' && typeof b === 'number' && !Number.isFinite(a) && !Number.isFinite(b); // both null in JSON
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    if (a.length !== bs.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], bs[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let defined = 0;
  for (const key in ao) {
    if (ao[key] === undefined) continue;
    defined++;
    if (!sameJson(ao[key], bo[key])) return false;
  }
  for (const key in bo) if (bo[key] !== undefined) defined--;
  return defined === 0;
}
