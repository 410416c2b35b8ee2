import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectRemoteHost, detectRemoteSsh, fetchRemoteFile, parseWrapperScript } from '../../src/workers/remote-fetch.js';
import { shellQuote, shellQuotePath } from '../../src/workers/ssh.js';
import { tempDir, writeFakeSsh } from './fixtures.js';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A zombie still answers kill(0); its state in /proc says Z.
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

describe('detectRemoteHost', () => {
  function script(text: string): string {
    const path = join(tmp.dir, `wrapper-${Math.random().toString(36).slice(2)}.sh`);
    writeFileSync(path, text, { mode: 0o755 });
    return path;
  }

  it.each([
    { what: 'user@host kept', text: '#!/bin/sh\nexec ssh -T bot@mac-mini.local /usr/local/bin/imsg "$@"\n', host: 'bot@mac-mini.local' },
    { what: 'options with values skipped', text: 'exec /usr/bin/ssh -o BatchMode=yes -p 2222 -i ~/.ssh/bot -F cfg -T mac imsg "$@"', host: 'mac' },
    { what: 'attached option values', text: 'ssh -p2222 -oStrictHostKeyChecking=no -Tq studio imsg', host: 'studio' },
    { what: 'clustered flags ending in a value option', text: 'ssh -Tqp 22 studio imsg', host: 'studio' },
    { what: '-l folded into the host', text: 'ssh -l bot studio.lan imsg', host: 'bot@studio.lan' },
    { what: 'comment lines ignored', text: '#!/bin/bash\n# ssh decoy@old-host imsg\n  # ssh other\nexec ssh real-host imsg "$@" # ssh trailing', host: 'real-host' },
    { what: 'line continuations', text: 'exec ssh \\\n  -o ConnectTimeout=5 \\\n  -T \\\n  bot@host.example \\\n  imsg "$@"\n', host: 'bot@host.example' },
    { what: 'a variable set earlier', text: 'HOST=studio.lan\nUSER_AT="bot@${HOST}"\nexec ssh -T "$USER_AT" imsg "$@"', host: 'bot@studio.lan' },
    { what: 'a default expansion', text: 'exec ssh "${IMSG_HOST:-fallback.lan}" imsg', host: 'fallback.lan' },
    { what: 'a host after --', text: 'ssh -T -- mac imsg', host: 'mac' },
    { what: 'quoted host', text: "exec ssh 'bot@mac' imsg", host: 'bot@mac' },
  ])('finds the host: $what', ({ text, host }) => {
    expect(detectRemoteHost(script(text))).toBe(host);
  });

  it.each([
    { what: 'no ssh at all', text: '#!/bin/sh\nexec /opt/homebrew/bin/imsg "$@"' },
    { what: 'only a commented ssh', text: '# exec ssh host imsg\nexec imsg' },
    { what: 'an unresolvable variable', text: 'exec ssh "$REMOTE" imsg' },
    { what: 'ssh without a host', text: 'exec ssh -p 22' },
    { what: 'a host that looks like an option', text: 'exec ssh -- -oProxyCommand=evil imsg' },
  ])('returns undefined for $what', ({ text }) => {
    expect(detectRemoteHost(script(text))).toBeUndefined();
  });

  it('returns undefined for a missing script', () => {
    expect(detectRemoteHost(join(tmp.dir, 'nope.sh'))).toBeUndefined();
  });

  it('keeps the connection options of the wrapper, not forwardings or flags', () => {
    expect(parseWrapperScript('exec ssh -A -o BatchMode=yes -p 2222 -L 8080:localhost:80 -i key -J jump -l bot mac imsg')).toEqual({
      host: 'bot@mac',
      sshArgs: ['-o', 'BatchMode=yes', '-p', '2222', '-i', 'key', '-J', 'jump'],
    });
    expect(detectRemoteSsh(join(tmp.dir, 'missing'))).toBeUndefined();
  });
});

describe('shell quoting', () => {
  it.each([
    ['/plain/path.png', '/plain/path.png'],
    ['/with space/a.png', "'/with space/a.png'"],
    ["/it's/a.png", "'/it'\\''s/a.png'"],
    ['$(touch x)', "'$(touch x)'"],
    ['', "''"],
  ])('shellQuote(%j) = %s', (input, quoted) => {
    expect(shellQuote(input)).toBe(quoted);
  });

  it('leaves ~/ for the remote shell to expand', () => {
    expect(shellQuotePath('~/Library/Messages/Attachments/a b.png')).toBe("~/'Library/Messages/Attachments/a b.png'");
    expect(shellQuotePath('/abs/a b')).toBe("'/abs/a b'");
  });
});

describe('fetchRemoteFile (fake ssh)', () => {
  const base = { remoteHost: 'bot@mac', maxBytes: 1024 * 1024, timeoutMs: 5000, attempts: 3, backoffMs: 20 };

  it('copies a file whose name needs quoting, without a local shell, mode 0600', async () => {
    const sshPath = writeFakeSsh(tmp.dir);
    const data = randomBytes(200_000);
    const remotePath = join(tmp.dir, "it's a $(touch pwned) file.jpg");
    writeFileSync(remotePath, data);
    const destPath = join(tmp.dir, 'in', 'copy.jpg');
    const result = await fetchRemoteFile({ ...base, remotePath, destPath, sshPath, sshArgs: ['-p', '2222'] });
    expect(result).toEqual({ ok: true, destPath, sizeBytes: data.length, attempts: 1 });
    expect(readFileSync(destPath)).toEqual(data);
    expect(statSync(destPath).mode & 0o777).toBe(0o600);
    expect(existsSync(join(tmp.dir, 'pwned'))).toBe(false);
    expect(existsSync(`${destPath}.part`)).toBe(false);
  });

  it('passes ssh the documented argv', async () => {
    const argvFile = join(tmp.dir, 'argv');
    const sshPath = writeFakeSsh(tmp.dir, 'ssh', '');
    // A second fake that records its argv before running the first.
    const recorder = join(tmp.dir, 'ssh-recorder');
    writeFileSync(recorder, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > ${shellQuote(argvFile)}\nexec ${shellQuote(sshPath)} "$@"\n`, { mode: 0o755 });
    const remotePath = join(tmp.dir, 'a b.png');
    writeFileSync(remotePath, 'x');
    await fetchRemoteFile({ ...base, remotePath, destPath: join(tmp.dir, 'out.png'), sshPath: recorder, sshArgs: ['-p', '2222'] });
    expect(readFileSync(argvFile, 'utf8').trimEnd().split('\n')).toEqual([
      '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-p', '2222', '-T', 'bot@mac', '--', 'cat', '--', shellQuote(remotePath),
    ]);
  });

  it('stops at the byte cap and leaves nothing behind', async () => {
    const sshPath = writeFakeSsh(tmp.dir);
    const remotePath = join(tmp.dir, 'big.mov');
    writeFileSync(remotePath, Buffer.alloc(300_000));
    const destPath = join(tmp.dir, 'in', 'big.mov');
    const result = await fetchRemoteFile({ ...base, maxBytes: 100_000, remotePath, destPath, sshPath });
    expect(result).toMatchObject({ ok: false, kind: 'too-large', attempts: 1 });
    expect(readdirSync(join(tmp.dir, 'in'))).toEqual([]);
  });

  it('retries a file that is not there yet, then succeeds (A3)', async () => {
    const counter = join(tmp.dir, 'count');
    const sshPath = writeFakeSsh(
      tmp.dir,
      'ssh',
      `n=$(cat ${shellQuote(counter)} 2>/dev/null || echo 0); echo $((n+1)) > ${shellQuote(counter)}\n` +
        `if [ "$n" -lt 2 ]; then echo "cat: file: No such file or directory" >&2; exit 1; fi`,
    );
    const remotePath = join(tmp.dir, 'late.png');
    writeFileSync(remotePath, 'finally');
    const destPath = join(tmp.dir, 'late-copy.png');
    const result = await fetchRemoteFile({ ...base, remotePath, destPath, sshPath });
    expect(result).toEqual({ ok: true, destPath, sizeBytes: 7, attempts: 3 });
  });

  it('retries a short copy when the expected size is known', async () => {
    const counter = join(tmp.dir, 'count');
    const sshPath = writeFakeSsh(
      tmp.dir,
      'ssh',
      `n=$(cat ${shellQuote(counter)} 2>/dev/null || echo 0); echo $((n+1)) > ${shellQuote(counter)}\n` +
        `if [ "$n" -lt 1 ]; then head -c 10 ${shellQuote(join(tmp.dir, 'growing.bin'))}; exit 0; fi`,
    );
    const remotePath = join(tmp.dir, 'growing.bin');
    writeFileSync(remotePath, Buffer.alloc(5000, 1));
    const destPath = join(tmp.dir, 'grown.bin');
    const result = await fetchRemoteFile({ ...base, remotePath, destPath, sshPath, expectedBytes: 5000 });
    expect(result).toEqual({ ok: true, destPath, sizeBytes: 5000, attempts: 2 });
  });

  it('gives up after the bounded attempts with the reason', async () => {
    const sshPath = writeFakeSsh(tmp.dir);
    const result = await fetchRemoteFile({ ...base, attempts: 2, remotePath: join(tmp.dir, 'never.png'), destPath: join(tmp.dir, 'x.png'), sshPath });
    expect(result).toEqual({
      ok: false,
      kind: 'missing',
      attempts: 2,
      problem: expect.stringMatching(/after 2 attempts: ssh exited with code 1: .*No such file/),
    });
  });

  it('kills the whole process group on timeout', async () => {
    const pidFile = join(tmp.dir, 'grandchild.pid');
    const sshPath = writeFakeSsh(tmp.dir, 'ssh', `sleep 30 & echo $! > ${shellQuote(pidFile)}\nwait\nexit 0`);
    const result = await fetchRemoteFile({ ...base, attempts: 1, timeoutMs: 300, remotePath: '/x', destPath: join(tmp.dir, 'slow.png'), sshPath });
    expect(result).toMatchObject({ ok: false, kind: 'timeout', attempts: 1, problem: expect.stringContaining('did not finish within 300 ms') });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // Killed processes may linger as zombies for a moment before they are reaped.
    await expect.poll(() => isAlive(pid), { timeout: 3000, interval: 50 }).toBe(false);
  });

  it('reports a missing ssh binary without retrying', async () => {
    const result = await fetchRemoteFile({ ...base, remotePath: '/x', destPath: join(tmp.dir, 'y'), sshPath: join(tmp.dir, 'no-ssh') });
    expect(result).toMatchObject({ ok: false, kind: 'failed', attempts: 1, problem: expect.stringContaining('cannot run') });
  });

  it('refuses a host that looks like an option', async () => {
    const result = await fetchRemoteFile({ ...base, remoteHost: '-oProxyCommand=x', remotePath: '/x', destPath: join(tmp.dir, 'y') });
    expect(result).toMatchObject({ ok: false, kind: 'failed', attempts: 0 });
  });
});
