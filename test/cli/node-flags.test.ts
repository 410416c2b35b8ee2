/**
 * The gateway's V8 flags (src/util/node-flags.ts) are on every way it is started for real: the
 * service units, `npm start`, and bin/imessage-gateway.js's `#!` line (run through `env -S`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { programArguments } from '../../src/cli/service/service-files.js';
import { GATEWAY_NODE_FLAGS } from '../../src/util/node-flags.js';
import { REPO } from '../helpers/sim-db.js';

const BIN = join(REPO, 'bin', 'imessage-gateway.js');

describe('the gateway V8 flags', () => {
  it('the service units run node with them before the entry script', () => {
    const args = programArguments({ nodePath: '/usr/bin/node', entryPath: '/opt/gw/bin/imessage-gateway.js', gatewayHome: '/home/a/.gw' });
    expect(args.slice(0, 1 + GATEWAY_NODE_FLAGS.length)).toEqual(['/usr/bin/node', ...GATEWAY_NODE_FLAGS]);
    expect(args[1 + GATEWAY_NODE_FLAGS.length]).toBe('/opt/gw/bin/imessage-gateway.js');
  });

  it('`npm start` and the bin script\'s #! line carry them', () => {
    const start = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start']!;
    expect(start).toBe(`node ${GATEWAY_NODE_FLAGS.join(' ')} bin/imessage-gateway.js start --demo`);
    const shebang = readFileSync(BIN, 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${GATEWAY_NODE_FLAGS.join(' ')}`);
  });

  it('the bin script runs by its #! line (env -S splits it, and node takes the flags)', () => {
    const r = spawnSync(BIN, ['--version'], { encoding: 'utf8', env: process.env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
