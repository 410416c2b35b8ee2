/**
 * The dashboard of a real gateway with 20 accounts on imsg-sim, 3 of them failing (a cliPath that
 * does not exist, two sims without Full Disk Access), in chromium at 1400 and 420 px: the failing
 * accounts come first, a kill -9 of an imsg child shows in the overview and in the message flow,
 * pairing approve / deny / revoke work from the page, and the page greys out when the gateway
 * stops. One gateway and one browser for the whole file; screenshots go to test-artifacts/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { type GatewayProcess, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';
import { artifactPath, chromiumAvailable, chromiumMissingMessage, launchChromium } from './browser.js';

if (!chromiumAvailable) console.warn(chromiumMissingMessage);

const HEALTHY = Array.from({ length: 16 }, (_, i) => `acct${String(i + 1).padStart(2, '0')}`);
/** Sorted last by name, so only the trouble ranking can put them first. */
const FAILING = ['zz-nocli', 'zz-denied-a', 'zz-denied-b'];
const PAIRING = 'pair';

describe.skipIf(!chromiumAvailable)('fleet dashboard of a real gateway with 20 accounts', () => {
  let gateway: GatewayProcess;
  let browser: Browser;
  let url: string;
  let token: string;
  const dbs: Record<string, string> = {};
  const errors: string[] = [];

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };

  async function open(width: number, hash = ''): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 1000 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/Failed to load resource|ERR_CONNECTION_REFUSED|net::/.test(msg.text())) errors.push(`console: ${msg.text()}`);
    });
    await page.goto(`${url}/#token=${token}${hash ? `&${hash}` : ''}`);
    return page;
  }

  async function shot(page: Page, name: string): Promise<void> {
    const path = artifactPath(name);
    await page.screenshot({ path, fullPage: true });
    console.log(`screenshot: ${path}`);
  }

  const rowOrder = (page: Page) => page.getByTestId('fleet').locator('tr[data-account]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-account')));

  beforeAll(async () => {
    const dir = tempDir('gw-fleet-');
    const accounts: Record<string, unknown> = {};
    for (const id of [...HEALTHY, PAIRING]) {
      dbs[id] = createSimDb(dir, `${id}.db`);
      accounts[id] = id === PAIRING ? { cliPath: SIM_BIN, dbPath: dbs[id], dmPolicy: 'pairing', groupPolicy: 'disabled' } : openAccount(SIM_BIN, dbs[id]!);
    }
    accounts['zz-nocli'] = openAccount(join(dir, 'no-such-imsg'), createSimDb(dir, 'nocli.db'));
    for (const id of ['zz-denied-a', 'zz-denied-b']) {
      accounts[id] = openAccount(simWrapper(dir, id, { IMSG_SIM_PERMISSION_DENIED: 'json' }), createSimDb(dir, `${id}.db`));
    }
    gateway = startGateway({
      imessage: { accounts },
      gateway: {
        supervision: {
          backoffInitialMs: 4000,
          backoffMaxMs: 8000,
          livenessIntervalMs: 5000,
          permissionReprobeMs: 60_000,
          stableAfterMs: 5000,
          stopTimeoutMs: 500,
        },
      },
    });
    await waitUntil(
      () => {
        const s = gateway.status();
        if (!s || s.accounts.length !== 20) return undefined;
        const healthy = s.accounts.filter((a) => a.state === 'streaming').length;
        const failing = s.accounts.filter((a) => FAILING.includes(a.id) && ['misconfigured', 'awaiting-permissions'].includes(a.state)).length;
        return healthy === 17 && failing === 3 ? s : undefined;
      },
      '17 accounts streaming and 3 failing',
      90_000,
    );
    url = await waitUntil(() => gateway.status()?.controlUrl, 'the control URL');
    token = readFileSync(join(gateway.home, 'control-token'), 'utf8').trim();
    browser = await launchChromium();
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
  });

  it('1400 px: the three failing accounts come first, with their fixes; the tab title counts them', async () => {
    const page = await open(1400);
    await expect.poll(() => rowOrder(page), { timeout: 20_000 }).toHaveLength(20);
    const order = await rowOrder(page);
    expect(new Set(order.slice(0, 3))).toEqual(new Set(FAILING));
    expect(order.slice(3)).toEqual([...HEALTHY, PAIRING].sort());
    await expect.poll(() => page.title()).toBe('(3) imessage-gateway');
    expect(await page.getByTestId('row-state-zz-nocli').textContent()).toBe('misconfigured');
    expect(await page.getByTestId('row-state-zz-denied-a').textContent()).toBe('awaiting-permissions');
    expect(await page.getByTestId('row-fix-zz-denied-a').textContent()).toMatch(/^fix: /);
    expect(await page.getByTestId('row-error-zz-nocli').textContent()).not.toBe('—');
    expect(await page.getByTestId('row-imsg-acct01').textContent()).not.toBe('—');
    // Compact: 20 rows fit in well under two screens.
    const height = await page.getByTestId('fleet').evaluate((t) => t.getBoundingClientRect().height);
    expect(height).toBeLessThan(1000);
    await shot(page, 'fleet-1400.png');
    await page.context().close();
  }, 60_000);

  it('420 px: the same order, and the page does not scroll sideways', async () => {
    const page = await open(420);
    await expect.poll(() => rowOrder(page), { timeout: 20_000 }).toHaveLength(20);
    expect(new Set((await rowOrder(page)).slice(0, 3))).toEqual(new Set(FAILING));
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(420);
    await page.getByTestId('row-zz-denied-a').click();
    await expect.poll(() => page.getByTestId('current-state-zz-denied-a').textContent()).toBe('awaiting-permissions');
    await expect.poll(() => page.getByTestId('state-zz-denied-a-awaiting-permissions').getAttribute('data-current'), { timeout: 60_000 }).toBe('true');
    expect(await page.getByTestId('remediation-zz-denied-a').textContent()).toBeTruthy();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(420);
    await shot(page, 'fleet-420-detail.png');
    await page.context().close();
  }, 90_000);

  it('a kill -9 of an imsg child shows in the overview and in the message flow', async () => {
    const page = await open(1400);
    const before = inject(dbs.acct01!, { from: '+15557770001', text: 'before the kill' });
    // (The echo reply comes back from chat.db as the account's own message: a second row, dropped from-me.)
    const flowRow = (guid: string) => page.getByTestId('flow').locator(`tr[data-kind="message"][data-account="acct01"][data-guid="${guid}"]`);
    await expect.poll(() => flowRow(before.guid).count(), { timeout: 20_000 }).toBe(1);
    expect(await flowRow(before.guid).textContent()).toContain('+15557770001');
    expect(await flowRow(before.guid).textContent()).not.toContain('before the kill'); // no message text unless configured
    await expect.poll(() => flowRow(before.guid).getByTestId('flow-reply').textContent(), { timeout: 20_000 }).toBe('sent');

    const pid = gateway.account('acct01')!.childPid!;
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => page.getByTestId('row-state-acct01').textContent(), { timeout: 15_000 }).toBe('backoff-restart');
    await expect.poll(() => rowOrder(page).then((o) => o.indexOf('acct01'))).toBeLessThan(4);
    await expect.poll(() => page.title()).toBe('(4) imessage-gateway');
    const lifecycle = page.getByTestId('flow').locator('tr[data-kind="lifecycle"][data-account="acct01"][data-to="backoff-restart"]');
    await expect.poll(() => lifecycle.count()).toBeGreaterThanOrEqual(1);
    expect(await lifecycle.textContent()).toMatch(/SIGKILL|signal|exited/i);
    await shot(page, 'fleet-after-kill.png');

    // Back to streaming, and the next message flows again.
    await expect.poll(() => page.getByTestId('row-state-acct01').textContent(), { timeout: 30_000 }).toBe('streaming');
    const after = inject(dbs.acct01!, { from: '+15557770001', text: 'after the restart' });
    await expect.poll(() => flowRow(after.guid).getByTestId('flow-reply').textContent(), { timeout: 30_000 }).toBe('sent');
    await expect.poll(() => page.title()).toBe('(3) imessage-gateway');
    await page.context().close();
  }, 90_000);

  it('approve, deny and revoke pairing from the page', async () => {
    inject(dbs[PAIRING]!, { from: '+15554440001', text: 'hello?' });
    inject(dbs[PAIRING]!, { from: '+15554440002', text: 'hi' });
    type Entry = { code: string | null; handle: string; state: string };
    let pending: Entry[] = [];
    await expect
      .poll(async () => {
        pending = await api<Entry[]>(`/api/pairing?account=${PAIRING}`);
        return pending.filter((e) => e.state === 'pending').length;
      }, { timeout: 20_000 })
      .toBe(2);
    const first = pending.find((e) => e.handle === '+15554440001')!;
    const second = pending.find((e) => e.handle === '+15554440002')!;

    const page = await open(1400, `account=${PAIRING}`);
    await page.getByTestId(`approve-${PAIRING}-${first.code}`).click();
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 15_000 }).toContain('approved');
    await expect.poll(() => page.getByTestId(`pairing-approved-${PAIRING}`).textContent()).toContain('+15554440001');
    await page.getByTestId(`deny-${PAIRING}-${second.code}`).click();
    await expect.poll(() => page.getByTestId(`pairing-denied-${PAIRING}`).textContent(), { timeout: 15_000 }).toContain('+15554440002');
    const revoke = page.getByTestId(`pairing-approved-${PAIRING}`).getByRole('button', { name: 'Revoke' });
    await revoke.click();
    await expect.poll(() => page.getByTestId(`pairing-approved-${PAIRING}`).textContent(), { timeout: 15_000 }).toContain('none');

    // The gateway agrees: nobody approved, both denied.
    expect((await api<{ approved: unknown[] }>(`/api/pairing/approved?account=${PAIRING}`)).approved).toEqual([]);
    const after = await api<Entry[]>(`/api/pairing?account=${PAIRING}`);
    expect(after.filter((e) => e.state === 'denied').map((e) => e.handle).sort()).toEqual(['+15554440001', '+15554440002']);
    await shot(page, 'fleet-pairing.png');
    await page.context().close();
  }, 60_000);

  it('greys out and says "gateway not reachable" when the gateway stops', async () => {
    const page = await open(1400);
    await expect.poll(() => page.getByTestId('connection').textContent(), { timeout: 15_000 }).toBe('live');
    expect(await page.getByTestId('gateway-meta').textContent()).toMatch(/^running/);
    await gateway.stop();
    await expect.poll(() => page.evaluate<boolean>("document.body.classList.contains('offline')"), { timeout: 45_000 }).toBe(true);
    expect(await page.getByTestId('offline').isVisible()).toBe(true);
    expect(await page.getByTestId('offline').textContent()).toContain('gateway not reachable');
    expect(await page.getByTestId('gateway-meta').textContent()).not.toContain('running');
    expect(await page.getByTestId('connection').textContent()).toBe('not reachable');
    expect(await page.getByTestId('row-state-acct02').textContent()).toBe('streaming?');
    await shot(page, 'fleet-offline.png');
    await page.context().close();
    expect(errors).toEqual([]);
  }, 60_000);
});
