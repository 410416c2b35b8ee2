import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, defaultConfigPath, loadConfigFile, resolveHome } from '../../src/config/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('where the config lives', () => {
  it('home is $IMESSAGE_GATEWAY_HOME, made absolute, with ~ expanded', () => {
    expect(resolveHome({ IMESSAGE_GATEWAY_HOME: '/srv/gw' })).toBe('/srv/gw');
    expect(resolveHome({ IMESSAGE_GATEWAY_HOME: '~/gw', HOME: '/Users/x' })).toBe('/Users/x/gw');
    expect(path.isAbsolute(resolveHome({ IMESSAGE_GATEWAY_HOME: 'rel/gw' }))).toBe(true);
  });

  it('home defaults to ~/.imessage-gateway', () => {
    expect(resolveHome({ HOME: '/Users/x' })).toBe('/Users/x/.imessage-gateway');
    expect(resolveHome({})).toBe(path.join(os.homedir(), '.imessage-gateway'));
  });

  it('the config file is <home>/config.json5', () => {
    expect(defaultConfigPath('/srv/gw')).toBe('/srv/gw/config.json5');
  });
});

describe('loadConfigFile', () => {
  it('reads and validates a JSON5 file', () => {
    const file = path.join(dir, 'config.json5');
    fs.writeFileSync(file, '{ imessage: { cliPath: "~/bin/imsg" }, agents: { list: [{ id: "main", handler: { type: "echo" } }] } }');
    const config = loadConfigFile(file, { homeDir: '/Users/x' });
    expect(config.accounts[0]?.cliPath).toBe('/Users/x/bin/imsg');
  });

  it('a missing file is a ConfigError saying where it looked and how to create one', () => {
    const file = path.join(dir, 'nope.json5');
    try {
      loadConfigFile(file);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toContain(`no config file at ${file}`);
      expect((err as ConfigError).message).toContain('handler: { type: "echo" }');
    }
  });

  it('a directory is a ConfigError', () => {
    expect(() => loadConfigFile(dir)).toThrow(ConfigError);
  });

  it('syntax errors name the file, line and column', () => {
    const file = path.join(dir, 'bad.json5');
    fs.writeFileSync(file, '{\n  imessage: {\n    region: GB\n  }\n}\n');
    expect(() => loadConfigFile(file)).toThrow(`${file}:3:13: JSON5 syntax error`);
  });
});
