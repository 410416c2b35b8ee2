/**
 * JSON-RPC client for one `imsg rpc` child (or any executable that proxies its stdio, such as an
 * SSH wrapper). Transport only: no retries, no policy. What it guarantees:
 * - spawned without a shell, in its own process group, so stopping reaches ssh and imsg alike;
 * - lines framed byte-safely; a non-JSON line is reported and skipped, never fatal;
 * - a request's deadline runs from the moment its lane reached it (request-lanes.ts): imsg ≤0.13
 *   serves one request at a time, so there a slow `send` delays the next request without counting
 *   as a hang; imsg 0.14+ runs mutations, reads and control in separate lanes, each timed on its
 *   own. Reads (and control) get the read deadline, mutations (send, send.tracked) the longer
 *   mutation deadline; a mutation that misses it has an unknown outcome;
 * - notifications that arrive before their `watch.subscribe` response are buffered, then
 *   delivered in order once the subscription id is known;
 * - every failure is a typed ImsgError (see errors.ts and classify.ts);
 * - stop(): close stdin, wait, SIGTERM the group, wait, SIGKILL the group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Clock } from '../util/clock.js';
import { sharedTurnBudget, type TurnSlices } from '../util/turn-budget.js';
import { busyRetryDelay } from './busy-retry.js';
import { classifyExit, classifyRpcError, type ClassifyContext, isKnownErrorCode } from './classify.js';
import { ClientStoppedError, DeadlineError, type ImsgError, PermissionDeniedError, RpcError, SpawnError } from './errors.js';
import { LineFramer } from './line-framer.js';
import { LinePacer } from './line-pacer.js';
import { describeSummary, summarizeLine } from './line-summary.js';
import { normalizeMessage, type NormalizeResult } from './normalize-message.js';
import { type DeadlineKind, deadlineKind, type Lane, laneOf } from './request-lanes.js';
import { type ImsgServerInfo, methodAvailable } from './server-info.js';
import type { ImsgMessage } from './types.js';
import { shapeParams } from './v1-params.js';
import { scrubSecrets } from '../util/scrub-secrets.js';

export interface ImsgClientHandlers {
  onMessage?(subscription: number, message: ImsgMessage): void;
  onWatchError?(subscription: number, message: string): void;
  /**
   * imsg 0.14+ ended a subscription because its buffer filled (`watch.overflow`, terminal).
   * Resume from `resumeAfterRowid` (clamped ≥ 0): messages may be replayed, none skipped.
   */
  onWatchOverflow?(subscription: number, resumeAfterRowid: number | undefined): void;
  /** Keys left out of a request because this imsg's protocol does not accept them (a gateway bug). */
  onParamsDropped?(method: string, keys: string[]): void;
  /** The child went away without stop() being called (crash, kill -9, startup failure). */
  onExit?(error: ImsgError): void;
  /** A request overran its deadline; the child is considered hung (the caller decides to stop it). */
  onHang?(error: DeadlineError): void;
  /**
   * A stdout line that is not JSON (or not a JSON-RPC object). The line may hold message text:
   * log only summarizeLine(line) (line-summary.ts), never the line.
   */
  onGarbage?(line: string): void;
  /**
   * A JSON-RPC line the client cannot use. `problem` is a fixed text of ours (never built from the
   * line's values); `line` may hold message text and, like onGarbage's, must not be logged.
   */
  onMalformed?(problem: string, line: string): void;
  /**
   * Input this gateway does not know, from an imsg that may be newer than it (issue 12, bad input):
   * a notification method (the line is otherwise ignored) or an error code (its request still
   * fails with an RpcError). Never fatal; the account logs it once. `line` may hold message text
   * (an unknown method's name included): log only fixed texts, the code and summarizeLine(line).
   * Without this handler, an unknown notification goes to onMalformed.
   */
  onUnknownInput?(input: UnknownInput, line: string): void;
  /**
   * A `message` notification on a live subscription whose payload fails the schema (after
   * onMalformed counted it): the account quarantines it. `raw` is the payload as received and may
   * hold message text: store it, never log it.
   */
  onInvalidMessage?(subscription: number, rejection: Extract<NormalizeResult, { ok: false }>, raw: unknown): void;
  onStderr?(line: string): void;
  /**
   * Asked before each stdout line while no request of ours waits for its answer: true holds
   * imsg's output (the pipe fills, imsg waits) until `readOn()` (inbound backpressure,
   * inbound-backlog.ts). While a request waits, every line is read, so its answer always arrives.
   */
  holdOutput?(): boolean;
}

export type UnknownInput = { what: 'notification' } | { what: 'error-code'; method: string; code: number };

export interface ImsgClientOptions {
  cliPath: string;
  dbPath?: string;
  /** Extra environment for the child, merged over process.env. */
  env?: Record<string, string>;
  clock: Clock;
  /** The read deadline: every request that is not a mutation (reads and control). */
  requestTimeoutMs: number;
  /** The mutation deadline (send, send.tracked, ...); default requestTimeoutMs. Must outlast imsg's 8 s receipt check. */
  mutationTimeoutMs?: number;
  /** Per-method deadlines over those two, e.g. { 'chats.list': 10000 }. */
  methodTimeouts?: Record<string, number>;
  stopTimeoutMs: number;
  handlers?: ImsgClientHandlers;
  /** Where imsg's lines are handled, a slice at a time (default: the process's shared budget). */
  turns?: TurnSlices;
}

interface PendingRequest {
  id: number;
  method: string;
  lane: Lane;
  deadline: DeadlineKind;
  timeoutMs: number;
  resolve: (value: unknown) => void;
  reject: (error: ImsgError) => void;
}

type ClientState = 'idle' | 'running' | 'stopping' | 'exited';

const TAIL_LINES = 40;
const MAX_BUFFERED_NOTIFICATIONS = 100_000;

export class ImsgRpcClient {
  private child: ChildProcess | undefined;
  private state: ClientState = 'idle';
  private nextId = 1;
  /** Every request written and not yet answered, in the order it was written. */
  private readonly queue: PendingRequest[] = [];
  /** One deadline timer per lane, for the lane's oldest unanswered request. */
  private readonly laneTimers = new Map<Lane, unknown>();
  private readonly framer = new LineFramer();
  /** Lines of stdout, handled in order with bounded work per turn (set up when the child spawns). */
  private pacer: LinePacer | undefined;
  private readonly stderrFramer = new LineFramer({ maxLineBytes: 64 * 1024 });
  private closeFallback: unknown;
  private readonly active = new Set<number>();
  private pendingSubscribes = 0;
  private buffered: Array<{ method: string; params: Record<string, unknown> }> = [];
  private readonly outputTail: string[] = [];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private exitError: ImsgError | undefined;
  private exited!: Promise<void>;
  private markExited!: () => void;
  private stopRequested = false;
  /** Notification lines read while the output is held (only to reach an answer): handled on readOn. */
  private readonly parked: string[] = [];
  /** The child's output ended: every line is handled now, nothing is set aside. */
  private ending = false;
  private readonly ctx: ClassifyContext;
  private serverInfo: ImsgServerInfo | undefined;

  constructor(private readonly options: ImsgClientOptions) {
    this.ctx = { binary: options.cliPath, dbPath: options.dbPath };
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** What negotiation found out (protocol, version, methods); undefined before it ran. */
  get server(): ImsgServerInfo | undefined {
    return this.serverInfo;
  }

  /**
   * Set by negotiation and refreshed from every `status` answer: from then on only the methods
   * this imsg advertises are called, with only the keys its protocol accepts (v1-params.ts).
   */
  setServer(info: ImsgServerInfo): void {
    this.serverInfo = info;
  }

  /** Reading was held (handlers.holdOutput): ask again now and read on unless it still holds. */
  readOn(): void {
    if (this.parked.length > 0 && !this.parking()) this.pacer?.requeue(this.parked.splice(0));
    this.pacer?.kick();
  }

  /**
   * While the consumer holds the output but a request waits for its answer, the lines before that
   * answer must still be read: notifications among them are set aside unparsed (a few hundred
   * bytes each, instead of a message in flight), in order, and handed over on readOn().
   */
  private parking(): boolean {
    return !this.ending && this.options.handlers?.holdOutput?.() === true;
  }

  /** True while handlers.holdOutput holds imsg's output. */
  get outputHeld(): boolean {
    return this.pacer?.held ?? false;
  }

  /** Requests written and not yet answered. */
  get inFlight(): number {
    return this.queue.length;
  }

  /** Spawns the child. Resolves once it is running; rejects with SpawnError if it cannot start. */
  start(): Promise<void> {
    if (this.state !== 'idle') throw new Error('ImsgRpcClient.start() called twice');
    const args = ['rpc', ...(this.options.dbPath ? ['--db', this.options.dbPath] : [])];
    this.exited = new Promise((resolve) => (this.markExited = resolve));
    const failStart = (err: NodeJS.ErrnoException): SpawnError => {
      this.state = 'exited';
      const error = new SpawnError(this.options.cliPath, err.code ?? err.message);
      this.exitError = error;
      this.markExited();
      return error;
    };
    let child: ChildProcess;
    try {
      child = spawn(this.options.cliPath, args, {
        shell: false,
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, ...this.options.env },
      });
    } catch (err) {
      // Synchronous failures (arguments node refuses, an errno it does not report as an event).
      return Promise.reject(failStart(err as NodeJS.ErrnoException));
    }
    this.child = child;
    return new Promise((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (this.state === 'idle') reject(failStart(err));
      });
      const { stdin, stdout, stderr } = child;
      // When the spawn fails (EMFILE, ENOENT, EAGAIN, ...) node leaves the pipes unset and emits
      // 'error' on the next tick: that is the only outcome, never a TypeError on a missing pipe.
      if (!stdin || !stdout || !stderr) return;
      child.once('spawn', () => {
        this.state = 'running';
        resolve();
      });
      stdin.on('error', () => {
        // EPIPE when the child is gone: the exit handler reports it; never an uncaught error.
      });
      this.pacer = new LinePacer({
        handle: (line) => this.onLine(line),
        turns: this.options.turns ?? sharedTurnBudget,
        pause: () => stdout.pause(),
        resume: () => stdout.resume(),
        hold: () => this.queue.length === 0 && this.options.handlers?.holdOutput?.() === true,
      });
      stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
      stderr.on('data', (chunk: Buffer) => {
        for (const raw of this.stderrFramer.push(chunk)) {
          const line = scrubSecrets(raw);
          this.remember(line);
          this.options.handlers?.onStderr?.(line);
        }
      });
      child.once('exit', (code, signal) => this.onChildExit(code, signal));
      child.once('close', () => this.finish());
    });
  }

  /**
   * One JSON-RPC request. Once the server is known: a method it does not advertise is refused here
   * (never sent), params are cut to the keys its protocol accepts, mistyped ones refused, and a
   * -32000 busy answer is retried with backoff (the request never ran).
   */
  async request<T = unknown>(method: string, params: Record<string, unknown> = {}, timeoutMs?: number): Promise<T> {
    const info = this.serverInfo;
    let body = params;
    if (info) {
      if (!methodAvailable(info, method)) throw this.unavailable(info, method);
      const shaped = shapeParams(method, params, info.protocol);
      if (shaped.dropped.length > 0) this.options.handlers?.onParamsDropped?.(method, shaped.dropped);
      if (shaped.invalid.length > 0) {
        throw new RpcError(method, -32602, 'Invalid params (refused by the gateway, not sent)', shaped.invalid.join(', '));
      }
      body = shaped.params;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.send<T>(method, body, timeoutMs);
      } catch (err) {
        const delay = err instanceof RpcError && err.busy ? busyRetryDelay(attempt, err.data) : undefined;
        if (delay === undefined) throw err;
        await new Promise<void>((resolve) => this.options.clock.setTimeout(resolve, delay));
      }
    }
  }

  /** Why a method the server does not list now is refused: the database is down, or it lacks it. */
  private unavailable(info: ImsgServerInfo, method: string): ImsgError {
    if (info.database && !info.database.ready) {
      return new PermissionDeniedError('v1', this.ctx.binary, info.database.path ?? this.ctx.dbPath, info.database.error ?? 'Database unavailable');
    }
    return new RpcError(method, -32601, 'Method not advertised by this imsg (not sent)', method);
  }

  private send<T>(method: string, params: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    if (this.state !== 'running' || !this.child) {
      return Promise.reject(this.exitError ?? new ClientStoppedError(method));
    }
    const id = this.nextId++;
    const kind = deadlineKind(method);
    const { requestTimeoutMs, mutationTimeoutMs, methodTimeouts } = this.options;
    const ms = timeoutMs ?? methodTimeouts?.[method] ?? (kind === 'mutation' ? (mutationTimeoutMs ?? requestTimeoutMs) : requestTimeoutMs);
    const lane = laneOf(method, this.serverInfo?.protocol);
    return new Promise<T>((resolve, reject) => {
      const pending: PendingRequest = {
        id,
        method,
        lane,
        deadline: kind,
        timeoutMs: ms,
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      this.queue.push(pending);
      this.child!.stdin?.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
      // Its answer must be read even while the output is held for the inbound backlog.
      this.pacer?.kick();
      if (this.laneHead(lane) === pending) this.armLaneTimer(lane);
    });
  }

  /**
   * Subscribes to the watch stream. Notifications carrying the new subscription id that arrive
   * before the response are held back and delivered, in order, right when it arrives.
   */
  async subscribe(params: Record<string, unknown>): Promise<number> {
    this.pendingSubscribes++;
    try {
      const result = await this.request<{ subscription?: unknown }>('watch.subscribe', params);
      if (typeof result?.subscription !== 'number') {
        throw classifyRpcError('watch.subscribe', -32603, 'Internal error', 'no subscription id in the result', this.ctx);
      }
      return result.subscription;
    } finally {
      this.pendingSubscribes--;
      if (this.pendingSubscribes === 0) this.buffered = [];
    }
  }

  async unsubscribe(subscription: number): Promise<void> {
    this.active.delete(subscription);
    await this.request('watch.unsubscribe', { subscription });
  }

  /**
   * Stops the child and everything in its process group: close stdin (imsg exits 0 on EOF), wait
   * stopTimeoutMs, SIGTERM the group, wait again, then SIGKILL the group.
   */
  async stop(): Promise<void> {
    this.stopRequested = true;
    const child = this.child;
    if (!child || this.state === 'idle' || child.pid === undefined) {
      // Never started, or its spawn failed: there is no process to stop.
      this.state = 'exited';
      return;
    }
    if (this.state === 'running') this.state = 'stopping';
    const { stopTimeoutMs } = this.options;
    if (!this.exitInfo) {
      child.stdin?.end();
      if (!(await this.waitExit(stopTimeoutMs))) {
        this.signalGroup('SIGTERM');
        if (!(await this.waitExit(stopTimeoutMs))) {
          this.signalGroup('SIGKILL');
          await this.waitExit(stopTimeoutMs);
        }
      }
    }
    // Whatever the leader did, leave nothing of its group behind (an ssh the wrapper forked, say).
    this.signalGroup('SIGKILL');
    await this.exited;
  }

  private waitExit(ms: number): Promise<boolean> {
    if (this.exitInfo) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = this.options.clock.setTimeout(() => resolve(false), ms);
      void this.exited.then(() => {
        this.options.clock.clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  private onStdout(chunk: Buffer): void {
    this.pacer?.push(this.framer.push(chunk));
  }

  private onLine(line: string): void {
    if (this.parked.length > 0 && !this.parking()) {
      // The consumer has room again: the notifications set aside go first, then this line.
      this.pacer?.requeue([...this.parked.splice(0), line]);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.rememberStdout(line);
      this.options.handlers?.onGarbage?.(line);
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      this.options.handlers?.onGarbage?.(line);
      return;
    }
    const msg = parsed as Record<string, unknown>;
    if (typeof msg.method === 'string') {
      if (this.parked.length > 0 || this.parking()) {
        // Read only to reach an answer behind it: kept as it came, handled once the consumer has room.
        this.parked.push(line);
        return;
      }
      const params = (typeof msg.params === 'object' && msg.params !== null ? msg.params : {}) as Record<string, unknown>;
      this.onNotification(msg.method, params, line);
      return;
    }
    if ('result' in msg || 'error' in msg) {
      this.onResponse(msg, line);
      return;
    }
    this.options.handlers?.onMalformed?.('JSON object is neither a response nor a notification', line);
  }

  private onResponse(msg: Record<string, unknown>, line: string): void {
    const index = this.queue.findIndex((p) => p.id === msg.id);
    if (index === -1) {
      // An error without id (parse error, "write failed") or an answer to a request we gave up on.
      this.options.handlers?.onMalformed?.('response matches no pending request', line);
      return;
    }
    const pending = this.queue[index];
    if (!pending) return;
    const wasHead = this.laneHead(pending.lane) === pending;
    this.queue.splice(index, 1);
    if (wasHead) this.armLaneTimer(pending.lane);
    if ('error' in msg && msg.error) {
      const err = msg.error as Record<string, unknown>;
      const code = typeof err.code === 'number' ? err.code : -32603;
      const message = typeof err.message === 'string' ? err.message : 'error';
      if (!isKnownErrorCode(code)) this.options.handlers?.onUnknownInput?.({ what: 'error-code', method: pending.method, code }, line);
      pending.reject(classifyRpcError(pending.method, code, message, err.data, this.ctx));
      return;
    }
    if (pending.method === 'watch.subscribe') {
      const sub = (msg.result as { subscription?: unknown } | undefined)?.subscription;
      if (typeof sub === 'number') this.activate(sub);
    }
    pending.resolve(msg.result);
  }

  /** Synchronously, before any later line is read: make the id live and replay what was held back. */
  private activate(subscription: number): void {
    this.active.add(subscription);
    const held = this.buffered;
    this.buffered = [];
    for (const n of held) {
      if (n.params.subscription === subscription) this.route(n.method, n.params);
      else this.buffered.push(n);
    }
  }

  private onNotification(method: string, params: Record<string, unknown>, line: string): void {
    if (method !== 'message' && method !== 'error' && method !== 'watch.overflow') {
      const handlers = this.options.handlers;
      if (handlers?.onUnknownInput) handlers.onUnknownInput({ what: 'notification' }, line);
      else handlers?.onMalformed?.('unknown notification method', line);
      return;
    }
    const sub = params.subscription;
    if (typeof sub === 'number' && this.active.has(sub)) {
      this.route(method, params);
    } else if (this.pendingSubscribes > 0 && this.buffered.length < MAX_BUFFERED_NOTIFICATIONS) {
      this.buffered.push({ method, params });
    }
    // Otherwise: a subscription we unsubscribed from or never made; nothing to deliver it to.
  }

  private route(method: string, params: Record<string, unknown>): void {
    const sub = params.subscription as number;
    if (method === 'error') {
      const err = params.error as Record<string, unknown> | undefined;
      this.active.delete(sub);
      this.options.handlers?.onWatchError?.(sub, typeof err?.message === 'string' ? err.message : 'watch failed');
      return;
    }
    if (method === 'watch.overflow') {
      // Terminal: the subscription is over; the account resumes from resume_after_rowid.
      this.active.delete(sub);
      const resume = params.resume_after_rowid;
      this.options.handlers?.onWatchOverflow?.(sub, Number.isSafeInteger(resume) ? (resume as number) : undefined);
      return;
    }
    const normalized = normalizeMessage(params.message);
    if (!normalized.ok) {
      this.options.handlers?.onMalformed?.(normalized.problem, JSON.stringify({ method, params }));
      this.options.handlers?.onInvalidMessage?.(sub, normalized, params.message);
      return;
    }
    this.options.handlers?.onMessage?.(sub, normalized.message);
  }

  /** The oldest unanswered request of a lane: the one whose deadline is running. */
  private laneHead(lane: Lane): PendingRequest | undefined {
    return this.queue.find((p) => p.lane === lane);
  }

  private armLaneTimer(lane: Lane): void {
    const running = this.laneTimers.get(lane);
    if (running !== undefined) {
      this.options.clock.clearTimeout(running);
      this.laneTimers.delete(lane);
    }
    const head = this.laneHead(lane);
    if (!head || this.state === 'exited') return;
    const timer = this.options.clock.setTimeout(() => {
      this.laneTimers.delete(lane);
      if (this.laneHead(lane) !== head) return;
      this.queue.splice(this.queue.indexOf(head), 1);
      const error = new DeadlineError(head.method, head.timeoutMs, head.deadline);
      head.reject(error);
      // Later requests stay queued: they fail when the hung child is stopped.
      this.options.handlers?.onHang?.(error);
    }, head.timeoutMs);
    this.laneTimers.set(lane, timer);
  }

  /**
   * A non-JSON stdout line, for the exit diagnostic: plain text (an old imsg's startup error) is
   * kept as it is; something that looks like JSON cut short may be a message, so only its summary.
   */
  private rememberStdout(line: string): void {
    this.remember(/^\s*[[{]/.test(line) ? describeSummary(summarizeLine(line)) : scrubSecrets(line));
  }

  private remember(line: string): void {
    this.outputTail.push(line.length > 1000 ? `${line.slice(0, 1000)}…` : line);
    if (this.outputTail.length > TAIL_LINES) this.outputTail.shift();
  }

  private onChildExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exitInfo = { code, signal };
    // The leader is gone; reap anything it left in its group (ssh, imsg behind a wrapper).
    this.signalGroup('SIGTERM');
    // 'close' waits for the stdio pipes; a grandchild holding them must not stall us forever.
    this.closeFallback = this.options.clock.setTimeout(() => this.finish(), 2000);
  }

  private finish(): void {
    if (this.state === 'exited') return;
    if (this.closeFallback !== undefined) this.options.clock.clearTimeout(this.closeFallback);
    for (const raw of this.stderrFramer.flush()) {
      const line = scrubSecrets(raw);
      this.remember(line);
      this.options.handlers?.onStderr?.(line);
    }
    if (!this.exitInfo) this.exitInfo = { code: this.child?.exitCode ?? null, signal: this.child?.signalCode ?? null };
    // Everything read is handled before the exit is reported, in the order it was read.
    this.ending = true;
    if (this.parked.length > 0) this.pacer?.requeue(this.parked.splice(0));
    this.pacer?.push(this.framer.flush());
    this.pacer?.flush();
    const wasStopping = this.stopRequested;
    this.state = 'exited';
    for (const timer of this.laneTimers.values()) this.options.clock.clearTimeout(timer);
    this.laneTimers.clear();
    const error = wasStopping
      ? new ClientStoppedError('stop')
      : classifyExit(this.exitInfo.code, this.exitInfo.signal, this.outputTail.join('\n'), this.ctx);
    this.exitError = error;
    const pending = this.queue.splice(0);
    for (const p of pending) p.reject(wasStopping ? new ClientStoppedError(p.method) : error);
    this.markExited();
    if (!wasStopping) this.options.handlers?.onExit?.(error);
  }
}
