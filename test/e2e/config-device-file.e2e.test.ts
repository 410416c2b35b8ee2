/**
 * Issue 11, item 10: the real CLI pointed at a config that is not a regular file (a device, a
 * FIFO) exits non-zero at once with a message naming the path, what it is and the fix. Before,
 * `--config /dev/zero` read until it had used 7 GB and a FIFO hung `start` forever.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GATEWAY_BIN } from '../helpers/gateway-process.js';
import { tempDir } from '../helpers/sim-db.js';

const home = tempDir('gw-config-device-');
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Well above a CLI start on a loaded 2-core host, far below what reading /dev/zero took. */
const PROMPT_MS = 10_000;

function cli(args: string[]): { code: number | null; signal: string | null; stderr: string; ms: number } {
  const started = performance.now();
  const r = spawnSync(process.execPath, [GATEWAY_BIN, ...args], {
    env: { ...process.env, IMESSAGE_GATEWAY_HOME: home },
    encoding: 'utf8',
    timeout: 2 * PROMPT_MS,
  });
  return { code: r.status, signal: r.signal, stderr: `${r.stdout}${r.stderr}`, ms: performance.now() - started };
}

describe('the config pointed at a device file (real CLI)', () => {
  it.each([
    { name: 'config check', cmd: ['config', 'check'] },
    { name: 'start', cmd: ['start'] },
  ])('$name --config /dev/zero exits non-zero promptly, saying why', ({ cmd }) => {
    const r = cli([...cmd, '--config', '/dev/zero']);
    expect(r.signal).toBeNull();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('/dev/zero is a character device, not a regular file');
    expect(r.stderr).toMatch(/point --config .* at a regular JSON5 file/);
    expect(r.ms).toBeLessThan(PROMPT_MS);
  });

  it('start --config FIFO exits non-zero promptly instead of hanging', () => {
    const fifo = join(home, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    const r = cli(['start', '--config', fifo]);
    expect(r.signal).toBeNull();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${fifo} is a named pipe (FIFO), not a regular file`);
    expect(r.ms).toBeLessThan(PROMPT_MS);
  });
});
