/** verifyOpened: the descriptor, not the path, decides (issue 11, item 6). */
import { mkdirSync, symlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyOpened } from '../../src/workers/verify-opened.js';
import { tempDir, writeFile } from './fixtures.js';

let tmp: { dir: string; cleanup: () => void };
let root: string;
let outside: string;

beforeEach(() => {
  tmp = tempDir('igw-verify-');
  root = join(tmp.dir, 'root');
  outside = join(tmp.dir, 'outside');
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  mkdirSync(join(outside, 'b'), { recursive: true });
  writeFile(join(root, 'a', 'b', 'f.txt'), 'inside');
  writeFile(join(outside, 'b', 'f.txt'), 'outside');
});
afterEach(() => tmp.cleanup());

async function check(openPath: string, claimedPath: string, kernelPath: boolean): Promise<string | undefined> {
  const handle = await open(openPath, 'r');
  try {
    return await verifyOpened(handle, await handle.stat(), claimedPath, root, { kernelPath });
  } finally {
    await handle.close();
  }
}

describe.each([
  { mode: 'kernel name and walk', kernelPath: true },
  { mode: 'walk only', kernelPath: false },
])('verifyOpened ($mode)', ({ kernelPath }) => {
  const inRoot = () => join(root, 'a', 'b', 'f.txt');

  it('accepts the in-root file it names', async () => {
    expect(await check(inRoot(), inRoot(), kernelPath)).toBeUndefined();
  });

  it('refuses a descriptor of an outside file claimed to be the in-root path', async () => {
    expect(await check(join(outside, 'b', 'f.txt'), inRoot(), kernelPath)).toMatch(/opened/);
  });

  it('refuses when a directory on the path is now a symlink to the outside', async () => {
    // Opened through the symlink, as a swap between the checks and the open would do.
    symlinkSync(outside, join(root, 'a', 'link'));
    const viaLink = join(root, 'a', 'link', 'b', 'f.txt');
    expect(await check(viaLink, viaLink, kernelPath)).toBeDefined();
  });

  it('refuses a path that is not inside the root', async () => {
    expect(await check(join(outside, 'b', 'f.txt'), join(outside, 'b', 'f.txt'), kernelPath)).toMatch(/not inside/);
  });
});

describe('verifyOpened (walk only)', () => {
  it('refuses a symlinked directory even when it points back inside the root', async () => {
    symlinkSync(join(root, 'a'), join(root, 'alias'));
    const viaAlias = join(root, 'alias', 'b', 'f.txt');
    expect(await check(viaAlias, viaAlias, false)).toBe(`${join(root, 'alias')} is a symlink`);
  });
});
