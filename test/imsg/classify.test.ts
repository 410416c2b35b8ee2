import { describe, it, expect } from 'vitest';
import { classifyExit, classifyRpcError, isAutomationText, isPermissionText } from '../../src/imsg/classify.js';
import {
  AutomationDeniedError,
  ClientStoppedError,
  DeadlineError,
  PermissionDeniedError,
  ProcessExitedError,
  RpcError,
  SpawnError,
  SshError,
  UnsupportedImsgError,
  recoveryOf,
  type ImsgErrorKind,
} from '../../src/imsg/errors.js';

const BIN = '/opt/homebrew/bin/imsg';
const DB = '/Users/me/Library/Messages/chat.db';
const ctx = { binary: BIN, dbPath: DB };

/** The 0.7.0+ banner (Errors.swift L17-34), exactly as imsg prints it. */
const BANNER = [
  'unable to open database file (code: 14)',
  '',
  '⚠️  Permission Error: Cannot access Messages database',
  '',
  `The Messages database at ${DB} requires Full Disk Access permission.`,
  '',
  'To fix:',
  '1. Open System Settings → Privacy & Security → Full Disk Access',
  '2. Add your terminal application and any parent launcher (VS Code, Node, gateway, etc.)',
  '3. Also add the built-in Terminal.app if you normally use another terminal',
  '4. Toggle stale entries off and on after terminal/Homebrew/app updates',
  '5. Restart the terminal or parent app, then try again',
  '',
  'Note: This is required because macOS protects the Messages database.',
  'For more details, see: https://github.com/steipete/imsg#permissions-troubleshooting',
].join('\n');

/** 0.3.0-0.6.0: Swift's default enum dump on one line. */
const DUMP = `permissionDenied(path: "${DB}", underlying: unable to open database file (code: 14))`;

const AUTOMATION = 'AppleScript failed: 12:34: execution error: Not authorized to send Apple events to Messages. (-1743)';

describe('classifyRpcError: JSON-RPC error answers', () => {
  it('0.8.2+ JSON -32603 permission banner → PermissionDeniedError form json', () => {
    const err = classifyRpcError('chats.list', -32603, 'Internal error', BANNER, ctx);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    const p = err as PermissionDeniedError;
    expect(p.form).toBe('json');
    expect(p.kind).toBe('full-disk-access');
    expect(p.recovery).toBe('permission');
    expect(p.binary).toBe(BIN);
    expect(p.dbPath).toBe(DB);
    expect(p.detail).toBe('unable to open database file (code: 14)');
    expect(p.message).toContain(BIN);
    expect(p.message).toContain(DB);
    expect(p.message).toContain('[json form]');
    expect(p.remediation).toContain(`Grant Full Disk Access to ${BIN}`);
    expect(p.remediation).toContain(DB);
  });

  it('matches on "Permission Error" alone and on "Full Disk Access" alone', () => {
    for (const data of ['⚠️  Permission Error: Cannot access Messages database', 'requires Full Disk Access permission']) {
      const err = classifyRpcError('chats.list', -32603, 'Internal error', data, ctx);
      expect(err).toBeInstanceOf(PermissionDeniedError);
      expect((err as PermissionDeniedError).form).toBe('json');
      expect((err as PermissionDeniedError).detail).toBe(data);
    }
  });

  it('the permission remediation falls back to the default database path when none is configured', () => {
    const err = classifyRpcError('chats.list', -32603, 'Internal error', BANNER, { binary: 'imsg', dbPath: undefined });
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.remediation).toContain('Grant Full Disk Access to imsg');
    expect(err.remediation).toContain('~/Library/Messages/chat.db');
    expect(err.message).not.toContain(' at ');
  });

  it('a permission banner under a code other than -32603 stays an RpcError', () => {
    const err = classifyRpcError('chats.list', -32602, 'Invalid params', BANNER, ctx);
    expect(err).toBeInstanceOf(RpcError);
  });

  it('AppleScript -1743 "Not authorized to send Apple events" → AutomationDeniedError', () => {
    const err = classifyRpcError('send', -32603, 'Internal error', AUTOMATION, ctx);
    expect(err).toBeInstanceOf(AutomationDeniedError);
    const a = err as AutomationDeniedError;
    expect(a.kind).toBe('automation');
    expect(a.recovery).toBe('permission');
    expect(a.detail).toBe(AUTOMATION);
    expect(a.binary).toBe(BIN);
    expect(a.message).toContain(BIN);
    expect(a.remediation).toContain(`Allow ${BIN}`);
    expect(a.remediation).toContain('Automation');
  });

  it('recognises the British spelling and a bare -1743', () => {
    expect(isAutomationText('AppleScript failed: Not authorised to send Apple events to Messages.')).toBe(true);
    expect(isAutomationText('AppleScript failed: execution error (-1743)')).toBe(true);
    expect(isAutomationText('AppleScript failed: Attachment not found at /tmp/x.png')).toBe(false);
  });

  it('any other -32603 → RpcError carrying method, code, message and data; retried', () => {
    const data = 'The operation couldn’t be completed. (SQLite.Result error 0.)';
    const err = classifyRpcError('messages.history', -32603, 'Internal error', data, ctx);
    expect(err).toBeInstanceOf(RpcError);
    const r = err as RpcError;
    expect(r.method).toBe('messages.history');
    expect(r.code).toBe(-32603);
    expect(r.rpcMessage).toBe('Internal error');
    expect(r.data).toBe(data);
    expect(r.invalidParams).toBe(false);
    expect(r.recovery).toBe('retry');
    expect(r.remediation).toBe('The gateway retries with backoff.');
    expect(r.message).toBe(`imsg messages.history failed: Internal error (-32603): ${data}`);
  });

  it('other AppleScript failures (ghost row, missing attachment) are plain RpcErrors', () => {
    for (const data of [
      'AppleScript failed: Messages accepted the chat send but wrote an unjoined empty outgoing row (42); delivery to the target chat was not confirmed',
      'AppleScript failed: Attachment not found at /Users/me/x.png',
      'AppleScript failed: Sending requires Messages.app automation and is only supported on macOS.',
    ]) {
      expect(classifyRpcError('send', -32603, 'Internal error', data, ctx)).toBeInstanceOf(RpcError);
    }
  });

  it('-32602 → RpcError marked invalidParams, with the fix-the-request remediation', () => {
    const err = classifyRpcError('send', -32602, 'Invalid params', 'unknown chat_id 99', ctx) as RpcError;
    expect(err).toBeInstanceOf(RpcError);
    expect(err.code).toBe(-32602);
    expect(err.data).toBe('unknown chat_id 99');
    expect(err.invalidParams).toBe(true);
    expect(err.remediation).toBe('Fix the request (target or parameters).');
    expect(err.message).toBe('imsg send failed: Invalid params (-32602): unknown chat_id 99');
  });

  it('an RpcError without data has no trailing colon', () => {
    const err = classifyRpcError('ping', -32601, 'Method not found', undefined, ctx);
    expect(err).toBeInstanceOf(RpcError);
    expect(err.message).toBe('imsg ping failed: Method not found (-32601)');
  });
});

describe('classifyExit: the child went away', () => {
  it('0.7.0–0.8.1 plain-text banner on stdout then exit 1 → PermissionDeniedError form text', () => {
    const err = classifyExit(1, null, BANNER, ctx);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    const p = err as PermissionDeniedError;
    expect(p.form).toBe('text');
    expect(p.detail).toBe('unable to open database file (code: 14)');
    expect(p.recovery).toBe('permission');
    expect(p.message).toContain('[text form]');
  });

  it('the banner as the client keeps it (blank lines dropped by the framer) is still recognised', () => {
    const tail = BANNER.split('\n').filter((l) => l.trim() !== '').join('\n');
    const err = classifyExit(1, null, tail, ctx);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect((err as PermissionDeniedError).form).toBe('text');
  });

  it('0.3.0–0.6.0 one-line permissionDenied(...) dump → PermissionDeniedError form text', () => {
    const err = classifyExit(1, null, DUMP, ctx);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    const p = err as PermissionDeniedError;
    expect(p.form).toBe('text');
    expect(p.detail).toBe(DUMP);
  });

  it('the detail is the first non-blank line of the output', () => {
    const err = classifyExit(1, null, `\n  \n${DUMP}\nsecond line`, ctx) as PermissionDeniedError;
    expect(err.detail).toBe(DUMP);
  });

  it.each([
    ['Host key verification failed.', 'ssh-host-key', 'operator'],
    [
      '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
      'ssh-host-key',
      'operator',
    ],
    ['No ED25519 host key is known for mac and you have requested strict checking.', 'ssh-host-key', 'operator'],
    ['me@mac: Permission denied (publickey).', 'ssh-auth', 'operator'],
    ['me@mac: Permission denied (publickey,password,keyboard-interactive).', 'ssh-auth', 'operator'],
    ['ssh: Could not resolve hostname mac: nodename nor servname provided, or not known', 'ssh-unreachable', 'retry'],
    ['ssh: connect to host mac port 22: Connection refused', 'ssh-unreachable', 'retry'],
    ['ssh: connect to host mac port 22: Connection timed out', 'ssh-unreachable', 'retry'],
    ['Connection closed by 10.0.0.2 port 22', 'ssh-unreachable', 'retry'],
    ['ssh: connect to host mac port 22: No route to host', 'ssh-unreachable', 'retry'],
    ['ssh: connect to host mac port 22: Operation timed out', 'ssh-unreachable', 'retry'],
  ] as const)('ssh stderr %j → SshError %s (%s)', (text, kind, recovery) => {
    const err = classifyExit(255, null, text, ctx);
    expect(err).toBeInstanceOf(SshError);
    expect(err.kind).toBe(kind);
    expect(err.recovery).toBe(recovery);
    // detail is the matching line, trimmed
    expect((err as SshError).detail).toBe(
      text.split('\n').find((l) => /host|permission|connect|resolve|closed|route|timed/i.test(l))!.trim(),
    );
  });

  it('picks the ssh line out of multi-line stderr', () => {
    const out = 'Warning: Permanently added mac (ED25519) to the list of known hosts.\nme@mac: Permission denied (publickey).';
    const err = classifyExit(255, null, out, ctx) as SshError;
    expect(err.kind).toBe('ssh-auth');
    expect(err.detail).toBe('me@mac: Permission denied (publickey).');
  });

  it('ssh remediations tell the operator what to do per kind', () => {
    expect(new SshError('ssh-host-key', 'x').remediation).toContain('accept the host key');
    expect(new SshError('ssh-auth', 'x').remediation).toContain('key-based SSH login');
    expect(new SshError('ssh-unreachable', 'x').remediation).toContain('reachable');
  });

  it.each([
    "Error: Unknown command 'rpc'",
    'Unknown subcommand: rpc',
    'error: unrecognized subcommand `rpc`',
    'Invalid command "rpc". See imsg --help.',
  ])('an imsg without rpc (%j) → UnsupportedImsgError, operator recovery', (text) => {
    const err = classifyExit(1, null, `${text}\nUsage: imsg <command>`, ctx);
    expect(err).toBeInstanceOf(UnsupportedImsgError);
    expect((err as UnsupportedImsgError).detail).toBe(text);
    expect(err.recovery).toBe('operator');
    expect(err.remediation).toContain('0.3.0');
  });

  it('an unknown-command text that does not mention rpc is just an exit', () => {
    const err = classifyExit(1, null, "Unknown command 'frobnicate'", ctx);
    expect(err).toBeInstanceOf(ProcessExitedError);
  });

  it('anything else → ProcessExitedError with code, signal and trimmed output; retried', () => {
    const err = classifyExit(134, null, '  Fatal error: something broke\n', ctx) as ProcessExitedError;
    expect(err).toBeInstanceOf(ProcessExitedError);
    expect(err.code).toBe(134);
    expect(err.signal).toBeNull();
    expect(err.outputTail).toBe('Fatal error: something broke');
    expect(err.recovery).toBe('retry');
    expect(err.message).toBe('imsg exited (code 134): Fatal error: something broke');

    const killed = classifyExit(null, 'SIGKILL', '', ctx) as ProcessExitedError;
    expect(killed).toBeInstanceOf(ProcessExitedError);
    expect(killed.code).toBeNull();
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.message).toBe('imsg exited (signal SIGKILL)');
  });

  it('a clean exit 0 without output is a ProcessExitedError with code 0', () => {
    const err = classifyExit(0, null, '', ctx) as ProcessExitedError;
    expect(err).toBeInstanceOf(ProcessExitedError);
    expect(err.code).toBe(0);
    expect(err.message).toBe('imsg exited (code 0)');
  });

  it('the exit message keeps only the last 300 characters of a long output', () => {
    const out = 'a'.repeat(500) + 'END';
    const err = classifyExit(1, null, out, ctx);
    expect(err.message).toBe(`imsg exited (code 1): ${out.slice(-300)}`);
  });

  it('isPermissionText recognises every marker and not unrelated text', () => {
    expect(isPermissionText('authorization denied')).toBe(true);
    expect(isPermissionText('unable to open database file (code: 14)')).toBe(true);
    expect(isPermissionText(DUMP)).toBe(true);
    expect(isPermissionText(BANNER)).toBe(true);
    expect(isPermissionText('me@mac: Permission denied (publickey).')).toBe(false);
    expect(isPermissionText('database is locked (code: 5)')).toBe(false);
  });
});

describe('the fatal-or-retry table', () => {
  it('maps every kind to its recovery', () => {
    const table: Record<ImsgErrorKind, string> = {
      'full-disk-access': 'permission',
      automation: 'permission',
      spawn: 'operator',
      unsupported: 'operator',
      'ssh-host-key': 'operator',
      'ssh-auth': 'operator',
      rpc: 'retry',
      exited: 'retry',
      deadline: 'retry',
      'ssh-unreachable': 'retry',
      stopped: 'retry',
    };
    for (const [kind, recovery] of Object.entries(table)) {
      expect(recoveryOf(kind as ImsgErrorKind), kind).toBe(recovery);
    }
  });

  it('each error class reports the recovery of its kind', () => {
    expect(new DeadlineError('send', 5000).recovery).toBe('retry');
    expect(new DeadlineError('send', 5000).kind).toBe('deadline');
    expect(new ClientStoppedError('send').recovery).toBe('retry');
    expect(new SpawnError('/x/imsg', 'ENOENT').recovery).toBe('operator');
    expect(new UnsupportedImsgError('x').recovery).toBe('operator');
  });

  it('SpawnError names the binary: chmod advice for EACCES, install advice for ENOENT', () => {
    const eacces = new SpawnError('/usr/local/bin/imsg-wrapper', 'EACCES');
    expect(eacces.remediation).toBe('Make /usr/local/bin/imsg-wrapper executable (chmod +x).');
    expect(eacces.message).toBe('cannot start /usr/local/bin/imsg-wrapper: EACCES');
    const enoent = new SpawnError('/usr/local/bin/imsg', 'ENOENT');
    expect(enoent.message).toBe('cannot start /usr/local/bin/imsg: no such file on PATH');
    expect(enoent.remediation).toContain('cliPath');
  });

  it('DeadlineError says which method hung and for how long', () => {
    expect(new DeadlineError('chats.list', 1000).message).toBe('imsg did not answer chats.list within 1000 ms (hung)');
  });
});
