/**
 * Typed errors of the imsg client, in the shared vocabulary (src/util/typed-error.ts). Every error
 * says how an account recovers from it:
 * - `retry`: transient (crash, hang, RPC error); restart with backoff.
 * - `permission`: a macOS privacy grant is missing; wait for the operator, re-probe slowly, never
 *   restart-loop.
 * - `operator`: the setup is wrong (binary missing, unsupported imsg, SSH host key unknown); wait
 *   for the operator, re-probe slowly.
 * No imsg error is `fatal`: an account always waits or retries. The table is `recoveryOf` at the
 * bottom; the account machine keys its transitions on it.
 */
import type { Recovery, TypedError } from '../util/typed-error.js';

export type ImsgErrorRecovery = Extract<Recovery, 'retry' | 'permission' | 'operator'>;

export type ImsgErrorKind =
  | 'full-disk-access'
  | 'automation'
  | 'rpc'
  | 'exited'
  | 'deadline'
  | 'spawn'
  | 'unsupported'
  | 'ssh-host-key'
  | 'ssh-auth'
  | 'ssh-unreachable'
  | 'stopped';

export abstract class ImsgError extends Error implements TypedError {
  abstract readonly kind: ImsgErrorKind;
  /** One or two sentences telling the operator what to do. */
  abstract readonly remediation: string;
  get recovery(): ImsgErrorRecovery {
    return recoveryOf(this.kind);
  }
}

/** Full Disk Access (or a missing chat.db: imsg cannot tell the two apart). */
export class PermissionDeniedError extends ImsgError {
  readonly kind = 'full-disk-access';
  constructor(
    /**
     * json: imsg 0.8.2–0.13 answered -32603 with the banner; text: older imsg printed it and exited;
     * v1: imsg 0.14+ answered -32002 Database unavailable and stays up (recovers in the same child).
     */
    readonly form: 'json' | 'text' | 'v1',
    readonly binary: string,
    readonly dbPath: string | undefined,
    readonly detail: string,
  ) {
    super(
      form === 'v1'
        ? `imsg cannot open the Messages database${dbPath ? ` at ${dbPath}` : ''}: ${detail} ` +
            `(the binary that needs Full Disk Access: ${binary}) [v1 form; imsg stays up and recovers in place]`
        : `imsg cannot open the Messages database${dbPath ? ` at ${dbPath}` : ''}: Full Disk Access is missing ` +
            `for ${binary} (or the database file does not exist) [${form} form]`,
    );
    this.name = 'PermissionDeniedError';
  }
  /** imsg 0.14+: the child stays up and recovers in place; poll `status` on it, never respawn. */
  get keepsChild(): boolean {
    return this.form === 'v1';
  }
  /** imsg 0.14+ says which: the file does not exist (a path problem), or it cannot be opened. */
  get missingFile(): boolean {
    return /does not exist/i.test(this.detail);
  }
  get remediation(): string {
    if (this.form === 'v1' && this.missingFile) {
      return (
        `Check imessage.dbPath (${this.dbPath ?? '~/Library/Messages/chat.db'} does not exist) or sign in to ` +
        `Messages on that Mac once. The gateway re-checks on its own, without restarting imsg.`
      );
    }
    return (
      `Grant Full Disk Access to ${this.binary} and to the process that launches the gateway ` +
      `(System Settings → Privacy & Security → Full Disk Access; toggle stale entries off and on), ` +
      `and check that ${this.dbPath ?? '~/Library/Messages/chat.db'} exists. The gateway re-checks on its own.`
    );
  }
}

/** Apple Events to Messages were refused (-1743): sends fail, reads still work. */
export class AutomationDeniedError extends ImsgError {
  readonly kind = 'automation';
  constructor(
    readonly binary: string,
    readonly detail: string,
  ) {
    super(`imsg may not control Messages: Automation permission is missing for ${binary} (${detail})`);
    this.name = 'AutomationDeniedError';
  }
  get remediation(): string {
    return (
      `Allow ${this.binary} (or the app that runs it) to control Messages under System Settings → ` +
      `Privacy & Security → Automation; run one \`imsg send\` by hand in that user's session to answer the prompt.`
    );
  }
}

/** The peer answered a request with a JSON-RPC error. */
export class RpcError extends ImsgError {
  readonly kind = 'rpc';
  constructor(
    readonly method: string,
    readonly code: number,
    readonly rpcMessage: string,
    readonly data: string | undefined,
    /** imsg 0.14+: `error.data` as an object (delivery errors, -32002, -32003); `data` is then its detail. */
    readonly dataObject?: Readonly<Record<string, unknown>>,
  ) {
    super(`imsg ${method} failed: ${rpcMessage} (${code})${data ? `: ${data}` : ''}`);
    this.name = 'RpcError';
  }
  /** -32000 Server busy (0.14+): the request did not run; safe to repeat after a pause. */
  get busy(): boolean {
    return this.code === -32000;
  }
  /** -32602: the request itself is wrong (bad target, missing text); retrying cannot help. */
  get invalidParams(): boolean {
    return this.code === -32602;
  }
  get remediation(): string {
    return this.invalidParams ? 'Fix the request (target or parameters).' : 'The gateway retries with backoff.';
  }
}

export class ProcessExitedError extends ImsgError {
  readonly kind = 'exited';
  constructor(
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly outputTail: string,
  ) {
    super(
      `imsg exited (${signal ? `signal ${signal}` : `code ${code}`})${outputTail ? `: ${outputTail.slice(-300)}` : ''}`,
    );
    this.name = 'ProcessExitedError';
  }
  get remediation(): string {
    return 'The gateway restarts imsg with backoff.';
  }
}

/**
 * A request was not served within its deadline (timed from when its lane reached it). A read is a
 * hang; a mutation (send) may or may not have happened: its outcome is unknown (send-failure.ts).
 * Either way the child is stopped and restarted.
 */
export class DeadlineError extends ImsgError {
  readonly kind = 'deadline';
  constructor(
    readonly method: string,
    readonly timeoutMs: number,
    /** Which deadline it missed: `read` (reads and control) or `mutation` (send, send.tracked). */
    readonly deadline: 'read' | 'mutation' = 'read',
  ) {
    super(
      deadline === 'mutation'
        ? `imsg did not answer ${method} within ${timeoutMs} ms (the mutation deadline): whether it was sent is unknown`
        : `imsg did not answer ${method} within ${timeoutMs} ms (hung)`,
    );
    this.name = 'DeadlineError';
  }
  get remediation(): string {
    return this.deadline === 'mutation'
      ? 'The gateway restarts imsg and checks the chat for the message before any retry; if sends often take this long, raise gateway.supervision.mutationTimeoutMs.'
      : 'The gateway kills the hung imsg and restarts it with backoff.';
  }
}

/**
 * Spawn failures that say nothing about the setup: the host ran out of descriptors (EMFILE, ENFILE),
 * processes (EAGAIN) or memory (ENOMEM). They pass, so they are retried with backoff.
 */
export const TRANSIENT_SPAWN_ERRNOS: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM']);

const SPAWN_ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file on PATH',
  EMFILE: 'EMFILE (the gateway has too many open files)',
  ENFILE: 'ENFILE (the system has too many open files)',
  EAGAIN: 'EAGAIN (too many processes)',
  ENOMEM: 'ENOMEM (out of memory)',
};

export class SpawnError extends ImsgError {
  readonly kind = 'spawn';
  constructor(
    readonly cliPath: string,
    readonly errno: string,
  ) {
    super(`cannot start ${cliPath}: ${SPAWN_ERRNO_TEXT[errno] ?? errno}`);
    this.name = 'SpawnError';
  }
  /** Whether the failure is the host's momentary shortage rather than the setup. */
  get transient(): boolean {
    return TRANSIENT_SPAWN_ERRNOS.has(this.errno);
  }
  override get recovery(): ImsgErrorRecovery {
    return this.transient ? 'retry' : recoveryOf(this.kind);
  }
  get remediation(): string {
    if (this.transient) {
      return (
        `The gateway retries with backoff. If it persists, raise the descriptor or process limit of the ` +
        `process that runs the gateway (launchd: SoftResourceLimits NumberOfFiles; a shell: ulimit -n), ` +
        `or lower gateway.http.maxConnections.`
      );
    }
    return this.errno === 'EACCES'
      ? `Make ${this.cliPath} executable (chmod +x).`
      : `Install imsg (brew install steipete/tap/imsg) or set imessage.cliPath to its absolute path.`;
  }
}

export class UnsupportedImsgError extends ImsgError {
  readonly kind = 'unsupported';
  constructor(readonly detail: string) {
    super(`this imsg does not speak \`imsg rpc\`: ${detail}`);
    this.name = 'UnsupportedImsgError';
  }
  get remediation(): string {
    return 'Upgrade imsg to 0.3.0 or later (brew upgrade imsg), or point cliPath at a wrapper that runs `imsg rpc`.';
  }
}

export class SshError extends ImsgError {
  constructor(
    readonly kind: 'ssh-host-key' | 'ssh-auth' | 'ssh-unreachable',
    readonly detail: string,
  ) {
    super(`the SSH wrapper failed: ${detail}`);
    this.name = 'SshError';
  }
  get remediation(): string {
    switch (this.kind) {
      case 'ssh-host-key':
        return 'Run the wrapper\'s ssh command once by hand to accept the host key (BatchMode cannot ask).';
      case 'ssh-auth':
        return 'Set up key-based SSH login for the wrapper\'s user (ssh-copy-id), so BatchMode can log in.';
      default:
        return 'Check that the remote Mac is reachable and Remote Login is on; the gateway retries with backoff.';
    }
  }
}

export class ClientStoppedError extends ImsgError {
  readonly kind = 'stopped';
  constructor(readonly method: string) {
    super(`imsg client stopped before ${method} was answered`);
    this.name = 'ClientStoppedError';
  }
  get remediation(): string {
    return 'None: the account was stopping or restarting.';
  }
}

/** The fatal-or-retry table. */
export function recoveryOf(kind: ImsgErrorKind): ImsgErrorRecovery {
  switch (kind) {
    case 'full-disk-access':
    case 'automation':
      return 'permission';
    case 'spawn':
    case 'unsupported':
    case 'ssh-host-key':
    case 'ssh-auth':
      return 'operator';
    case 'rpc':
    case 'exited':
    case 'deadline':
    case 'ssh-unreachable':
    case 'stopped':
      return 'retry';
  }
}
