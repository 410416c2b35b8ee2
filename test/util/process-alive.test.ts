import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../src/util/process-alive.js';
import { waitUntil } from '../helpers/sim-db.js';

describe('processAlive', () => {
  it('is true for this process and a running child, false once the child is gone', async () => {
    expect(processAlive(process.pid)).toBe(true);
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = child.pid!;
    expect(processAlive(pid)).toBe(true);
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    expect(processAlive(pid)).toBe(false);
  });

  it.runIf(existsSync('/proc/self/stat'))('is false for an exited child nobody has reaped yet (a zombie)', async () => {
    // Node reaps its own children, so the zombie is made one level down: the shell starts `sleep 0`
    // and then becomes `sleep 30` itself, a parent that never waits for the child it inherited.
    const shell = spawn('bash', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      let out = '';
      shell.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const pid = await waitUntil(() => (/^\d+\n/.test(out) ? Number(out.trim()) : undefined), 'the child pid');
      await waitUntil(() => spawnSync('ps', ['-o', 'stat=', '-p', String(pid)]).stdout.toString().startsWith('Z'), 'the child to be a zombie');
      expect(() => process.kill(pid, 0)).not.toThrow(); // the signal test alone would call it alive
      expect(processAlive(pid)).toBe(false);
    } finally {
      shell.kill('SIGKILL');
    }
  });

  it('is false for a pid that was never used', () => {
    expect(processAlive(2 ** 22 + 12345)).toBe(false);
  });
});
