/**
 * The diagram laid out at build time (scripts/build-layout.mjs): `npm run build` (run before the
 * tests) writes it for the account machine of this build, the gateway serves it without elkjs, and
 * a layout of another graph, a damaged file or none means laying out at run time.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accountMachineGraph } from '../../src/web/account-machine-graph.js';
import { cachedMachineLayout, layoutsStarted } from '../../src/web/machine-layout-cache.js';
import { layoutKey, readPrebuiltLayout } from '../../src/web/machine-layout-prebuilt.js';
import { REPO } from '../helpers/sim-db.js';

const BUILT = join(REPO, 'dist', 'web', 'machine-layout.json');
const dir = mkdtempSync(join(tmpdir(), 'ig-prebuilt-'));

describe('prebuilt machine layout', () => {
  it('the build lays out exactly the account machine the gateway serves', () => {
    const layout = readPrebuiltLayout(accountMachineGraph(), BUILT);
    expect(layout, `${BUILT} is missing or stale: run npm run build`).toBeDefined();
    const ids = layout!.states.map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['child.streaming', 'awaiting-permissions', 'failed']));
  });

  it('is served without laying anything out when it is this graph', async () => {
    const graph = accountMachineGraph();
    const before = layoutsStarted();
    const layout = await cachedMachineLayout(graph, BUILT);
    expect(layout).toEqual(readPrebuiltLayout(graph, BUILT));
    expect(layoutsStarted()).toBe(before);
  });

  it('is not used for another graph, a damaged file or no file', () => {
    const graph = accountMachineGraph();
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ key: layoutKey({ ...graph, initial: 'elsewhere' }), layout: { states: [], edges: [] } }));
    expect(readPrebuiltLayout(graph, other)).toBeUndefined();
    const damaged = join(dir, 'damaged.json');
    writeFileSync(damaged, '{"key": "');
    expect(readPrebuiltLayout(graph, damaged)).toBeUndefined();
    expect(readPrebuiltLayout(graph, join(dir, 'none.json'))).toBeUndefined();
    const keyOnly = join(dir, 'key-only.json');
    writeFileSync(keyOnly, JSON.stringify({ key: layoutKey(graph) }));
    expect(readPrebuiltLayout(graph, keyOnly)).toBeUndefined();
  });
});
