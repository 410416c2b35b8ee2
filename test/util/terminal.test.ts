import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hangupMeaning, sighupIgnoredAtStart } from '../../src/util/terminal.js';
import { tempDir } from '../helpers/sim-db.js';

describe('hangupMeaning', () => {
  it('stops only when the terminal the gateway started on is gone and nohup did not ask to outlive it', () => {
    expect(hangupMeaning({ hadTerminal: true, hasTerminal: false, nohup: false })).toBe('terminal-closed');
    expect(hangupMeaning({ hadTerminal: true, hasTerminal: true, nohup: false })).toBe('reload'); // kill -HUP from a shell
    expect(hangupMeaning({ hadTerminal: false, hasTerminal: false, nohup: false })).toBe('reload'); // a service
    expect(hangupMeaning({ hadTerminal: true, hasTerminal: false, nohup: true })).toBe('reload');
  });
});

describe('sighupIgnoredAtStart', () => {
  const dir = tempDir('sigign-');
  const file = (mask: string) => {
    const p = join(dir, `status-${mask}`);
    writeFileSync(p, `Name:\tnode\nSigBlk:\t0000000000000000\nSigIgn:\t${mask}\nSigCgt:\t0000000000000000\n`);
    return p;
  };
  it('reads bit 0 of SigIgn', () => {
    expect(sighupIgnoredAtStart(file('0000000000000001'))).toBe(true);
    expect(sighupIgnoredAtStart(file('0000000001001000'))).toBe(false);
    expect(sighupIgnoredAtStart(join(dir, 'missing'))).toBe(false);
  });
});
