import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import {
  isSupportedNode,
  SUPPORTED_NODE_RANGE,
  UNSUPPORTED_NODE_EXIT_CODE,
  unsupportedNodeMessage,
} from '../../src/util/node-support.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

describe('supported Node lines', () => {
  test.each([
    ['v20.19.0', false],
    ['v20.20.2', false],
    ['v21.7.3', false],
    ['v22.12.0', false],
    ['v22.13.0', true],
    ['v22.23.5', true],
    ['v23.11.0', false],
    ['v24.0.0', true],
    ['v24.22.3', true],
    ['v25.9.0', false],
    ['v26.12.1', true],
    ['v27.0.0', false],
    ['garbage', false],
  ])('%s → %s', (version, ok) => {
    expect(isSupportedNode(version)).toBe(ok);
  });

  test('the Node running the tests is a supported one', () => {
    expect(isSupportedNode(process.version)).toBe(true);
  });

  test('package.json engines says the same range', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(SUPPORTED_NODE_RANGE);
  });

  test('npm refuses to install on another Node: .npmrc makes engines strict', () => {
    expect(readFileSync(join(REPO, '.npmrc'), 'utf8')).toMatch(/^engine-strict=true$/m);
  });

  test('the refusal names the version found and the versions supported', () => {
    const line = unsupportedNodeMessage('v20.20.2');
    expect(line).toContain('v20.20.2');
    expect(line).toContain('22.13+, 24 or 26');
    expect(line).not.toContain('\n');
  });
});

describe('starting on an unsupported Node', () => {
  // A real process: the bin runs with process.version set to an old one before it loads.
  const pretend = (version: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'igw-node-'));
    const file = join(dir, 'pretend.mjs');
    writeFileSync(file, `Object.defineProperty(process, 'version', { value: ${JSON.stringify(version)} });\n`);
    return pathToFileURL(file).href;
  };

  test.each(['imessage-gateway.js', 'imsg-sim.js'])('bin/%s prints one line and exits 2', async (bin) => {
    const err = await run(process.execPath, ['--import', pretend('v20.20.2'), join(REPO, 'bin', bin), 'help'], {
      cwd: REPO,
    }).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(err?.code).toBe(UNSUPPORTED_NODE_EXIT_CODE);
    expect(err?.stdout).toBe('');
    const lines = err!.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('this is Node.js v20.20.2');
    expect(lines[0]).toContain('22.13+, 24 or 26');
  });

  test('on a supported Node the same bin runs', async () => {
    const { stdout } = await run(process.execPath, [join(REPO, 'bin', 'imessage-gateway.js'), 'help'], { cwd: REPO });
    expect(stdout).toContain('imessage-gateway');
  });
});
