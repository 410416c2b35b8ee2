/**
 * The diagram's layout (seconds of elkjs CPU) is not computed when the gateway starts: only when a
 * page first asks for it, then once. Its own file: the layout cache is per process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startControlServer, type ControlServer } from '../../src/web/control-server.js';
import { layoutsStarted } from '../../src/web/machine-layout-cache.js';
import { rawRequest } from './http-helpers.js';
import { accountStatus, StandInBackend } from './stand-in-backend.js';

let server: ControlServer | undefined;
const home = join(mkdtempSync(join(tmpdir(), 'ig-layout-')), 'home');
afterEach(async () => {
  await server?.close();
  rmSync(join(home, '..'), { recursive: true, force: true });
});

it('a started control server lays nothing out until GET /api/machine/layout, then once', async () => {
  const backend = new StandInBackend([accountStatus('main')]);
  let machineAsked = 0;
  const machine = backend.accountMachine.bind(backend);
  backend.accountMachine = () => (machineAsked++, machine());
  server = await startControlServer({ backend, home, port: 0 });
  const auth = { authorization: `Bearer ${server.token}` };
  // The page's other requests and an open event stream start no layout either.
  expect((await rawRequest(server.port, { path: '/api/status', headers: auth })).status).toBe(200);
  expect((await rawRequest(server.port, { path: '/', headers: {} })).status).toBe(200);
  expect(layoutsStarted()).toBe(0);
  expect(machineAsked).toBe(0);

  const first = await rawRequest(server.port, { path: '/api/machine/layout', headers: auth });
  expect(first.status).toBe(200);
  expect(layoutsStarted()).toBe(1);
  const second = await rawRequest(server.port, { path: '/api/machine/layout', headers: auth });
  expect(second.text).toBe(first.text);
  expect(layoutsStarted()).toBe(1);
}, 30_000);
