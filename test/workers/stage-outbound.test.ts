import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanupStaged, stageOutboundFile } from '../../src/workers/stage-outbound.js';
import { pngBytes, tempDir, writeFakeSsh } from './fixtures.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let tmp: { dir: string; cleanup: () => void };
let stagingDir: string;
beforeEach(() => {
  tmp = tempDir();
  stagingDir = join(tmp.dir, 'Library', 'Messages', 'Attachments', 'imessage-gateway');
});
afterEach(() => tmp.cleanup());

describe('stageOutboundFile (local)', () => {
  it('copies the file into <stagingDir>/<uuid>/<basename> and cleans it up again', async () => {
    const file = join(tmp.dir, 'Downloads', 'chart (final).png');
    mkdirSync(dirname(file));
    writeFileSync(file, pngBytes());
    const result = await stageOutboundFile({ file, maxBytes: 1024 * 1024, stagingDir });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(dirname(dirname(result.stagedPath))).toBe(stagingDir);
    expect(basename(dirname(result.stagedPath))).toMatch(UUID);
    expect(basename(result.stagedPath)).toBe('chart (final).png');
    expect(readFileSync(result.stagedPath)).toEqual(pngBytes());
    expect(statSync(result.stagedPath).mode & 0o777).toBe(0o600);
    expect(existsSync(file)).toBe(true);

    await cleanupStaged(result.stagedPath);
    expect(existsSync(dirname(result.stagedPath))).toBe(false);
    expect(readdirSync(stagingDir)).toEqual([]);
  });

  it('gives every staging its own directory', async () => {
    const file = join(tmp.dir, 'a.txt');
    writeFileSync(file, 'hi');
    const [a, b] = await Promise.all([
      stageOutboundFile({ file, maxBytes: 100, stagingDir }),
      stageOutboundFile({ file, maxBytes: 100, stagingDir }),
    ]);
    expect(a!.ok && b!.ok).toBe(true);
    if (a!.ok && b!.ok) expect(a!.stagedPath).not.toBe(b!.stagedPath);
  });

  it.each([
    { what: 'an oversized file', setup: (f: string) => writeFileSync(f, Buffer.alloc(2048)), problem: /is 2\.0 KB, over the 1\.0 KB limit/ },
    { what: 'a missing file', setup: () => undefined, problem: /does not exist/ },
    { what: 'a directory', setup: (f: string) => mkdirSync(f), problem: /not a regular file/ },
  ])('refuses $what and stages nothing', async ({ setup, problem }) => {
    const file = join(tmp.dir, 'thing');
    setup(file);
    const result = await stageOutboundFile({ file, maxBytes: 1024, stagingDir });
    expect(result).toEqual({ ok: false, problem: expect.stringMatching(problem) });
    expect(existsSync(stagingDir)).toBe(false);
  });

  it('cleanupStaged leaves paths outside a <uuid> directory alone', async () => {
    const file = join(tmp.dir, 'keep', 'me.txt');
    mkdirSync(dirname(file));
    writeFileSync(file, 'x');
    await cleanupStaged(file);
    expect(existsSync(file)).toBe(true);
  });
});

describe('stageOutboundFile (remote, fake ssh)', () => {
  it('copies over ssh with the file on stdin and returns the remote path', async () => {
    const sshPath = writeFakeSsh(tmp.dir);
    const file = join(tmp.dir, "it's here.png");
    writeFileSync(file, pngBytes(3));
    const result = await stageOutboundFile({ file, maxBytes: 1024 * 1024, stagingDir, remoteHost: 'bot@mac', sshPath });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(dirname(dirname(result.stagedPath))).toBe(stagingDir);
    expect(basename(result.stagedPath)).toBe("it's here.png");
    expect(readFileSync(result.stagedPath)).toEqual(pngBytes(3));

    await cleanupStaged(result.stagedPath, { remoteHost: 'bot@mac', sshPath });
    expect(existsSync(dirname(result.stagedPath))).toBe(false);
  });

  it('expands ~/ in the staging directory on the remote side', async () => {
    const sshPath = writeFakeSsh(tmp.dir);
    const file = join(tmp.dir, 'a.txt');
    writeFileSync(file, 'remote');
    const home = process.env.HOME;
    process.env.HOME = tmp.dir; // the fake ssh's "remote" shell inherits it
    try {
      const result = await stageOutboundFile({
        file,
        maxBytes: 100,
        stagingDir: '~/Library/Messages/Attachments/imessage-gateway',
        remoteHost: 'mac',
        sshPath,
      });
      expect(result).toEqual({ ok: true, stagedPath: expect.stringMatching(new RegExp(`^${stagingDir}/[0-9a-f-]{36}/a\\.txt$`)) });
    } finally {
      process.env.HOME = home;
    }
  });

  it('reports a failing remote copy', async () => {
    const sshPath = writeFakeSsh(tmp.dir, 'ssh', 'echo "Permission denied (publickey)." >&2; exit 255');
    const file = join(tmp.dir, 'a.txt');
    writeFileSync(file, 'x');
    const result = await stageOutboundFile({ file, maxBytes: 100, stagingDir, remoteHost: 'mac', sshPath });
    expect(result).toEqual({ ok: false, problem: expect.stringContaining('code 255: Permission denied (publickey).') });
  });

  it('checks the size before any ssh', async () => {
    const file = join(tmp.dir, 'big.bin');
    writeFileSync(file, Buffer.alloc(4096));
    const result = await stageOutboundFile({ file, maxBytes: 1024, stagingDir, remoteHost: 'mac', sshPath: join(tmp.dir, 'no-ssh') });
    expect(result).toEqual({ ok: false, problem: expect.stringContaining('over the') });
  });
});
