/**
 * The dashboard in a real browser (chromium via playwright-core) against the control server with a
 * stand-in backend: the machine diagram, live updates from the event stream, pairing approval.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlServer, type ControlServer } from '../../src/web/control-server.js';
import { accountStatus, StandInBackend } from './stand-in-backend.js';
import { artifactPath, chromiumAvailable, chromiumMissingMessage, withPage } from './browser.js';

if (!chromiumAvailable) console.warn(chromiumMissingMessage);

describe.skipIf(!chromiumAvailable)('dashboard in chromium', () => {
  let dir: string;
  let backend: StandInBackend;
  let server: ControlServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ig-dash-'));
    backend = new StandInBackend([
      accountStatus('main', { name: 'Main line' }),
      accountStatus('ops', {
        state: 'awaiting-permissions',
        lastError: 'imsg cannot read chat.db: Full Disk Access is missing',
        lastErrorClass: 'full-disk-access',
        remediation: 'Grant Full Disk Access to /usr/local/bin/imsg in System Settings › Privacy & Security',
        lastErrorAt: '2026-01-01T10:00:01.000Z',
        childPid: null,
        transitions: [{ at: '2026-01-01T10:00:01.000Z', from: 'spawning', to: 'awaiting-permissions', reason: 'Full Disk Access is missing' }],
      }),
    ]);
    backend.pairing.push({ code: 'K7P2QX', account: 'main', sender: '+15550001111', createdAt: new Date().toISOString() });
    server = await startControlServer({ backend, home: join(dir, 'home'), port: 0 });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws the machine, follows a transition live, approves a pairing request', async () => {
    await withPage(async ({ page, errors }) => {
      await page.goto(server.dashboardUrl);

      // The diagram of the real account machine, current state highlighted.
      const main = page.getByTestId('account-main');
      await expect.poll(() => main.getByTestId('current-state-main').textContent()).toBe('streaming');
      const streaming = page.getByTestId('state-main-child.streaming');
      await expect.poll(() => streaming.getAttribute('data-current')).toBe('true');
      for (const state of ['child', 'child.spawning', 'child.initializing', 'child.catching-up', 'child.resubscribing', 'awaiting-permissions', 'misconfigured', 'backoff-restart', 'cooling-down', 'stopping', 'stopped']) {
        expect(await page.getByTestId(`state-main-${state}`).count(), state).toBe(1);
      }
      expect(await page.getByTestId('state-main-backoff-restart').getAttribute('data-current')).toBeNull();
      expect(await page.getByTestId('counter-main-received').textContent()).toBe('5');
      expect(await page.getByTestId('counter-main-dropped').textContent()).toBe('from-me: 1');
      expect(await page.getByTestId('outbox-depth-main').textContent()).toBe('1');
      // The other account: its error and remediation, its own highlighted state.
      expect(await page.getByTestId('remediation-ops').textContent()).toContain('Grant Full Disk Access');
      expect(await page.getByTestId('state-ops-awaiting-permissions').getAttribute('data-current')).toBe('true');
      // The fragment is gone from the address bar once read.
      expect(page.url()).not.toContain(server.token);
      await expect.poll(() => page.getByTestId('connection').textContent()).toBe('live');

      // A state change in the gateway appears on the page.
      backend.transition('main', 'backoff-restart', 'imsg exited with code 1 (signal SIGKILL)', {
        lastError: 'imsg exited with code 1 (signal SIGKILL)',
        lastErrorClass: 'exited',
        restarts: 1,
      });
      await expect.poll(() => page.getByTestId('state-main-backoff-restart').getAttribute('data-current')).toBe('true');
      expect(await streaming.getAttribute('data-current')).toBeNull();
      expect(await page.getByTestId('current-state-main').textContent()).toBe('backoff-restart');
      const latest = page.getByTestId('transition-main-0');
      expect(await latest.textContent()).toContain('streaming → backoff-restart');
      expect(await latest.textContent()).toContain('imsg exited with code 1 (signal SIGKILL)');
      // The full status that follows brings the error and counters.
      backend.emit({ type: 'status', status: backend.status() });
      await expect.poll(() => page.getByTestId('error-message-main').textContent()).toBe('imsg exited with code 1 (signal SIGKILL)');
      expect(await page.getByTestId('counter-main-restarts').textContent()).toBe('1');

      // Approve the pending pairing request.
      const approve = page.getByTestId('approve-main-K7P2QX');
      await approve.click();
      await expect.poll(() => backend.approvals).toEqual([{ code: 'K7P2QX', account: 'main' }]);
      await expect.poll(() => page.getByTestId('pairing-main').textContent()).toContain('no pending requests');

      const shot = artifactPath('dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
      expect(errors).toEqual([]);
    });
  }, 60_000);

  it('without the token, the page says how to get in and shows no data', async () => {
    await withPage(async ({ page }) => {
      await page.goto(`${server.url}/`);
      await expect.poll(() => page.getByTestId('notice').textContent()).toContain('#token=');
      expect(await page.getByTestId('account-main').count()).toBe(0);
      await page.goto(`${server.url}/#token=${'0'.repeat(64)}`);
      await expect.poll(() => page.getByTestId('connection').textContent()).toBe('unauthorized');
    });
  }, 60_000);
});
