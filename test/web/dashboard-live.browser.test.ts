/**
 * The dashboard of the real gateway in a real browser: kill -9 the account's imsg-sim child and
 * watch the page follow the machine through backoff-restart back to streaming. The screenshot is
 * kept in test-artifacts/ for CI.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, SIM_BIN, tempDir, waitUntil } from '../helpers/sim-db.js';
import { artifactPath, chromiumAvailable, chromiumMissingMessage, withPage } from './browser.js';

if (!chromiumAvailable) console.warn(chromiumMissingMessage);

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
});

describe.skipIf(!chromiumAvailable)('live dashboard of a running gateway', () => {
  it('shows a killed imsg child as backoff-restart, then streaming again', async () => {
    const dir = tempDir();
    gateway = startGateway({
      imessage: { accounts: { bot: openAccount(SIM_BIN, createSimDb(dir)) } },
      gateway: { supervision: { backoffInitialMs: 1500, backoffMaxMs: 3000, livenessIntervalMs: 500, stopTimeoutMs: 300 } },
    });
    await gateway.waitForState('bot', 'streaming');
    const controlUrl = await waitUntil(() => gateway!.status()?.controlUrl, 'the control URL in status');
    const token = readFileSync(join(gateway.home, 'control-token'), 'utf8').trim();
    // Off a terminal the start banner prints the URL without the token, and where the token is kept.
    const printed = await waitUntil(() => gateway!.logs.find((l) => l.startsWith('  dashboard  http://')), 'the printed URL');
    expect(printed).toContain(`${controlUrl}/`);
    expect(gateway.logs.join('\n')).not.toContain(token);

    await withPage(async ({ page, errors }) => {
      await page.goto(`${controlUrl}/#token=${token}`);
      await page.getByTestId('row-bot').click();
      const current = page.getByTestId('current-state-bot');
      await expect.poll(() => current.textContent(), { timeout: 15_000 }).toBe('streaming');
      await expect.poll(() => page.getByTestId('state-bot-child.streaming').getAttribute('data-current'), { timeout: 30_000 }).toBe('true');

      process.kill(gateway!.account('bot')!.childPid!, 'SIGKILL');
      await expect.poll(() => current.textContent(), { timeout: 15_000 }).toBe('backoff-restart');
      await expect.poll(() => page.getByTestId('state-bot-backoff-restart').getAttribute('data-current')).toBe('true');
      await page.screenshot({ path: artifactPath('dashboard-live-backoff.png'), fullPage: true });
      await expect.poll(() => current.textContent(), { timeout: 15_000 }).toBe('streaming');
      expect(await page.getByTestId('counter-bot-restarts').textContent()).toBe('1');
      await page.screenshot({ path: artifactPath('dashboard-live.png'), fullPage: true });
      expect(errors).toEqual([]);
    });
  }, 90_000);
});
