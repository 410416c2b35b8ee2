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
      accountStatus('main', { name: 'Main line', statePath: 'child.streaming.idle' }),
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
    backend.pairing.push({ code: 'M3N4PQ', account: 'main', sender: '+15550004444', createdAt: new Date().toISOString() });
    server = await startControlServer({ backend, home: join(dir, 'home'), port: 0 });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('overview first; a row opens the detail: the ELK diagram with state and substate, live transitions, approve / deny / revoke', async () => {
    backend.flowEntries = [
      { accountId: 'main', guid: 'g-1', rowid: 7, chatId: 3, sender: '+15550002222', createdAt: Date.now(), recordedAt: Date.now(), decision: 'dispatched', reason: null, reply: { count: 1, state: 'sent', error: null }, turn: { latestGuid: 'g-9', earlier: 2 }, trace: [{ step: 'dmPolicy', result: 'open' }] },
      { accountId: 'ops', guid: 'g-2', rowid: 8, chatId: 4, sender: '+15550003333', createdAt: Date.now(), recordedAt: Date.now(), decision: 'dropped', reason: 'not-allowed', reply: null },
    ];
    backend.logRecords = [{ seq: 1, time: Date.now(), level: 'warn', msg: 'imsg failed; restarting with backoff', account: 'main', fields: { restarts: 1 } }];
    await withPage(async ({ page, errors }) => {
      await page.goto(server.dashboardUrl);
      // The overview: the account in trouble first, the tab title counts it.
      await expect.poll(() => page.getByTestId('fleet').locator('tr[data-account]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-account'))), { timeout: 15_000 }).toEqual(['ops', 'main']);
      await expect.poll(() => page.title()).toBe('(1) imessage-gateway');
      expect(await page.getByTestId('row-fix-ops').textContent()).toContain('Grant Full Disk Access');
      expect(await page.getByTestId('row-outbox-main').textContent()).toBe('1');
      await expect.poll(() => page.getByTestId('connection').textContent()).toBe('live');
      expect(page.url()).not.toContain(server.token);
      // The message flow and the log, with the decision trace.
      await expect.poll(() => page.getByTestId('flow').locator('tr[data-kind="message"]').count(), { timeout: 10_000 }).toBe(2);
      expect(await page.getByTestId('flow-trace').textContent()).toContain('step=dmPolicy result=open');
      // An earlier message of a collected turn names the turn that answered it.
      expect(await page.locator('[data-guid="g-1"] [data-testid="flow-reply"]').textContent()).toBe('answered in the collected turn of g-9: sent');
      // An opened trace stays open when the page re-renders (here: a new status).
      await page.getByTestId('flow').locator('summary').first().click();
      backend.gateway.updatedAt = '2026-01-01T10:00:07.000Z';
      backend.emit({ type: 'status', status: backend.status() });
      await expect.poll(() => page.getByTestId('gateway-meta').textContent()).toContain(new Date('2026-01-01T10:00:07.000Z').toLocaleTimeString('en-US'));
      expect(await page.getByTestId('flow').locator('details[open]').count()).toBe(1);
      expect(await page.getByTestId('flow').textContent()).toContain('dropped: not-allowed');
      await expect.poll(() => page.getByTestId('log').textContent()).toContain('imsg failed; restarting with backoff');

      // Open main: the diagram of the real account machine, laid out by the server, state and substate marked.
      await page.getByTestId('row-main').click();
      await expect.poll(() => page.getByTestId('current-state-main').textContent()).toBe('streaming');
      const streaming = page.getByTestId('state-main-child.streaming');
      await expect.poll(() => streaming.getAttribute('data-current'), { timeout: 30_000 }).toBe('true');
      expect(await page.getByTestId('state-main-child.streaming.idle').getAttribute('data-substate')).toBe('true');
      expect(await page.getByTestId('state-main-child').getAttribute('data-active')).toBe('true');
      for (const state of ['child', 'child.spawning', 'child.initializing', 'child.catching-up', 'child.resubscribing', 'awaiting-permissions', 'misconfigured', 'backoff-restart', 'cooling-down', 'stopping', 'stopped', 'failed']) {
        expect(await page.getByTestId(`state-main-${state}`).count(), state).toBe(1);
      }
      expect(await page.getByTestId('counter-main-received').textContent()).toBe('5');
      expect(await page.getByTestId('counter-main-dropped').textContent()).toBe('from-me: 1');
      expect(await page.getByTestId('outbox-depth-main').textContent()).toBe('1');
      await expect.poll(() => page.getByTestId('flow-scope').textContent()).toBe('(main)');
      await expect.poll(() => page.getByTestId('flow').locator('tr[data-kind="message"]').count()).toBe(1);

      // A state change in the gateway appears on the page.
      backend.transition('main', 'backoff-restart', 'imsg exited with code 1 (signal SIGKILL)', {
        lastError: 'imsg exited with code 1 (signal SIGKILL)',
        lastErrorClass: 'exited',
        restarts: 1,
        statePath: 'backoff-restart',
      });
      await expect.poll(() => page.getByTestId('state-main-backoff-restart').getAttribute('data-current')).toBe('true');
      expect(await streaming.getAttribute('data-current')).toBeNull();
      expect(await page.getByTestId('state-main-child.streaming.idle').getAttribute('data-substate')).toBeNull();
      const latest = page.getByTestId('transition-main-0');
      expect(await latest.textContent()).toContain('streaming → backoff-restart');
      expect(await latest.textContent()).toContain('imsg exited with code 1 (signal SIGKILL)');
      expect(await page.getByTestId('flow').locator('tr[data-kind="lifecycle"][data-to="backoff-restart"]').count()).toBe(1);
      backend.emit({ type: 'status', status: backend.status() });
      await expect.poll(() => page.getByTestId('error-message-main').textContent()).toBe('imsg exited with code 1 (signal SIGKILL)');
      expect(await page.getByTestId('counter-main-restarts').textContent()).toBe('1');

      // Approve one pending request, deny the other, then revoke the approved sender.
      await page.getByTestId('approve-main-K7P2QX').click();
      await expect.poll(() => backend.approvals).toEqual([{ code: 'K7P2QX', account: 'main' }]);
      await expect.poll(() => page.getByTestId('approved-main-+15550001111').count()).toBe(1);
      await page.getByTestId('deny-main-M3N4PQ').click();
      await expect.poll(() => backend.denials).toEqual([{ target: 'M3N4PQ', account: 'main' }]);
      await expect.poll(() => page.getByTestId('pairing-main').textContent()).toContain('no pending requests');
      await page.getByTestId('revoke-main-+15550001111').click();
      await expect.poll(() => page.getByTestId('approved-main-+15550001111').count()).toBe(0);
      expect(backend.approved).toEqual([]);

      // The gateway-level failed state (the account's machine threw; the gateway restarts it) is marked too.
      backend.transition('main', 'failed', 'internal error: TypeError: boom; the supervisor restarts the account', { statePath: undefined });
      await expect.poll(() => page.getByTestId('state-main-failed').getAttribute('data-current')).toBe('true');
      expect(await page.getByTestId('state-main-backoff-restart').getAttribute('data-current')).toBeNull();
      await expect.poll(() => page.title()).toBe('(2) imessage-gateway');

      const shot = artifactPath('dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`screenshot: ${shot}`);
      expect(statSync(shot).size).toBeGreaterThan(10_000);
      expect(errors).toEqual([]);
    });
  }, 60_000);

  it('without the token, the page says how to get in and shows no data', async () => {
    await withPage(async ({ page }) => {
      await page.goto(`${server.url}/`);
      await expect.poll(() => page.getByTestId('notice').textContent()).toContain('#token=');
      expect(await page.getByTestId('notice').textContent()).toContain('control-token');
      expect(await page.getByTestId('row-main').count()).toBe(0);
      await page.goto(`${server.url}/#token=${'0'.repeat(64)}`);
      await expect.poll(() => page.getByTestId('connection').textContent()).toBe('unauthorized');
      expect(await page.getByTestId('notice').textContent()).toContain('rejected');
      expect(await page.getByTestId('notice').textContent()).toContain('cat ~/.imessage-gateway/control-token');
      expect(await page.getByTestId('row-main').count()).toBe(0);
    });
  }, 60_000);

  it('a click on an account row, and on a trace in the flow, lands even when an update re-renders the page between mousedown and mouseup', async () => {
    backend.flowEntries = [
      { accountId: 'main', guid: 'g-1', rowid: 7, chatId: 3, sender: '+15550002222', createdAt: Date.now(), recordedAt: Date.now(), decision: 'dispatched', reason: null, reply: { count: 1, state: 'sent', error: null }, trace: [{ step: 'dmPolicy', result: 'open' }] },
    ];
    await withPage(async ({ page, errors }) => {
      await page.goto(server.dashboardUrl);
      const row = page.getByTestId('row-main');
      await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
      await row.evaluate((r) => Object.assign(r, { probeMark: 'kept' }));
      const box = (await row.locator('td.name').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      // Another account changes: the page re-renders the overview while the button is held.
      const ops = backend.gateway.accounts.find((a) => a.id === 'ops')!;
      ops.outbox = { ...ops.outbox, depth: 7 };
      backend.emit({ type: 'status', status: backend.status() });
      await expect.poll(() => page.getByTestId('row-outbox-ops').textContent()).toBe('7');
      expect(await row.evaluate((r) => (r as unknown as { probeMark?: string }).probeMark)).toBe('kept'); // the same element, not a rebuilt one
      await page.mouse.up();
      await expect.poll(() => page.getByTestId('current-state-main').count()).toBe(1);
      expect(page.url()).toContain('#account=main');

      // The same for a trace in the message flow, which re-renders at every pushed event.
      const traced = page.getByTestId('flow').locator('tr[data-guid="g-1"]');
      await expect.poll(() => traced.count(), { timeout: 15_000 }).toBe(1);
      expect(await traced.locator('details').getAttribute('open')).toBeNull();
      await traced.evaluate((r) => Object.assign(r, { probeMark: 'kept' }));
      await traced.locator('summary').scrollIntoViewIfNeeded();
      const summary = (await traced.locator('summary').boundingBox())!;
      await page.mouse.move(summary.x + summary.width / 2, summary.y + summary.height / 2);
      await page.mouse.down();
      backend.gateway.updatedAt = '2026-01-01T10:00:09.000Z';
      backend.emit({ type: 'status', status: backend.status() });
      await expect.poll(() => page.getByTestId('gateway-meta').textContent()).toContain(new Date('2026-01-01T10:00:09.000Z').toLocaleTimeString('en-US'));
      expect(await traced.evaluate((r) => (r as unknown as { probeMark?: string }).probeMark)).toBe('kept');
      await page.mouse.up();
      await expect.poll(() => traced.locator('details').getAttribute('open')).toBe('');
      expect(errors).toEqual([]);
    });
  }, 60_000);

  it('the pairing panel is left as it is when its 10 s poll brings the same lists, so a held click still lands', async () => {
    backend.pairing.push({ code: 'Q8R9ST', account: 'ops', sender: '+15550005555', createdAt: new Date().toISOString() });
    await withPage(async ({ page, errors }) => {
      const answered: string[] = [];
      page.on('requestfinished', (r) => answered.push(new URL(r.url()).pathname));
      const polls = () => answered.filter((p) => p === '/api/pairing/approved').length;
      await page.goto(server.dashboardUrl);
      await expect.poll(() => page.getByTestId('row-ops').count(), { timeout: 15_000 }).toBe(1);
      await page.evaluate("location.hash = 'account=ops'");
      const approve = page.getByTestId('approve-ops-Q8R9ST');
      await expect.poll(() => approve.count(), { timeout: 15_000 }).toBe(1);
      await approve.evaluate((b) => Object.assign(b, { probeMark: 'kept' }));
      const box = (await approve.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      // The panel's next poll (every 10 s) answers the same lists while the button is held.
      const before = polls();
      await expect.poll(polls, { timeout: 15_000 }).toBeGreaterThan(before);
      await page.evaluate(() => new Promise((r) => setTimeout(r, 100)));
      expect(await approve.evaluate((b) => (b as unknown as { probeMark?: string }).probeMark)).toBe('kept'); // the same button, not a rebuilt one
      await page.mouse.up();
      await expect.poll(() => backend.approvals).toContainEqual({ code: 'Q8R9ST', account: 'ops' });
      // After the action the panel shows the new lists (the approved sender).
      await expect.poll(() => page.getByTestId('approved-ops-+15550005555').count()).toBe(1);
      expect(errors).toEqual([]);
    });
  }, 60_000);
});
