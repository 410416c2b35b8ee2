/**
 * Issue 11, item 10: the config path must be a regular file of bounded size. `/dev/zero` used to
 * grow to 7 GB in 20 s and a FIFO hung start; each is now refused at once, naming the path, what
 * it is and the fix.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile } from '../../src/config/index.js';
import { MAX_CONFIG_BYTES, readConfigText } from '../../src/config/read-config-text.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-config-kind-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const FIX = /point --config .* at a regular JSON5 file/;

/** The ConfigError message loadConfigFile throws, and how long it took. */
function refusal(file: string): { message: string; ms: number } {
  const started = performance.now();
  try {
    loadConfigFile(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return { message: (err as ConfigError).message, ms: performance.now() - started };
  }
  throw new Error(`${file} was accepted as a config file`);
}

describe('the config file must be a regular file of bounded size', () => {
  it('the config pointed at a device file (/dev/zero) is refused at once', () => {
    const { message, ms } = refusal('/dev/zero');
    expect(message).toContain('/dev/zero is a character device, not a regular file');
    expect(message).toMatch(FIX);
    expect(ms).toBeLessThan(1000);
  });

  it('a FIFO with no writer is refused without hanging', () => {
    const fifo = path.join(dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    const { message, ms } = refusal(fifo);
    expect(message).toContain(`${fifo} is a named pipe (FIFO), not a regular file`);
    expect(message).toMatch(FIX);
    expect(ms).toBeLessThan(1000);
  });

  it('a directory is refused, saying so', () => {
    const { message } = refusal(dir);
    expect(message).toContain(`${dir} is a directory, not a regular file`);
    expect(message).toMatch(FIX);
  });

  it('a unix socket is refused, saying so', async () => {
    const sock = path.join(dir, 'config.sock');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const { message } = refusal(sock);
      expect(message).toContain(`${sock} is a socket, not a regular file`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a file over 1 MiB is refused before it is parsed', () => {
    const big = path.join(dir, 'big.json5');
    fs.writeFileSync(big, `{ /* ${'x'.repeat(MAX_CONFIG_BYTES)} */ }`);
    const { message } = refusal(big);
    expect(message).toContain(`${big} is ${MAX_CONFIG_BYTES + 10} bytes, over the ${MAX_CONFIG_BYTES}-byte limit`);
    expect(message).toMatch(FIX);
  });

  it('a file exactly at the limit is read whole', () => {
    const edge = path.join(dir, 'edge.txt');
    fs.writeFileSync(edge, 'y'.repeat(1000));
    expect(readConfigText(edge, 1000)).toBe('y'.repeat(1000));
    expect(() => readConfigText(edge, 999)).toThrow(/is 1000 bytes, over the 999-byte limit/);
  });

  it('a symlink to a regular config file is still accepted', () => {
    const real = path.join(dir, 'real.json5');
    fs.writeFileSync(real, '{ agents: { list: [{ id: "main", handler: { type: "echo" } }] } }');
    const link = path.join(dir, 'link.json5');
    fs.symlinkSync(real, link);
    expect(loadConfigFile(link).agents[0]?.id).toBe('main');
  });

  it('a missing file still explains how to create one', () => {
    const { message } = refusal(path.join(dir, 'nope.json5'));
    expect(message).toContain('no config file at');
    expect(message).toContain('docs/configuration.md');
  });
});
