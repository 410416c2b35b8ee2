/**
 * Issue 14, item 7 (field reports S1, L7): two accounts on one Messages source share one watcher.
 * The real gateway on a real imsg-sim chat.db: one imsg-sim child, one reply per inbound message,
 * the duplicate shown as `merged`; `send --account <duplicate>` refused naming the owner; then a
 * reload that gives the duplicate its own dbPath runs two children, both streaming and answering.
 * The running gateway against both imsg-sim profiles.
 */
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, ONE_TURN_PER_MESSAGE, openAccount, processesMatching, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES } from '../helpers/sim-profiles.js';
import type { GatewayStatus } from '../../src/supervisor/status.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
});

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  describe('one watcher per Messages source', () => {
    it('runs one child for two accounts on one chat.db, answers each message once, and splits them on reload', async () => {
      const dir = tempDir('gw-shared-e2e-');
      const db = createSimDb(dir, 'chat.db');
      const link = join(dir, 'alias.db');
      symlinkSync(db, link);
      const config = (workDb: string) => ({
        imessage: { accounts: { default: openAccount(SIM_BIN, db), work: openAccount(SIM_BIN, workDb) } },
        messages: ONE_TURN_PER_MESSAGE,
      });
      gateway = startGateway(config(link), undefined, { simProfile: profile });
      const g = gateway;
      const configPath = join(g.home, 'config.json5');

      // config check: still a warning (exit 0), now saying the accounts are merged.
      const check = runCli(['config', 'check', '--config', configPath], g.home);
      expect(check.code).toBe(0);
      expect(check.stdout).toContain(`accounts default and work read the same Messages database (${db}): merged into one watcher`);

      const owner = await g.waitForState('default', 'streaming');
      const merged = await g.waitForState('work', 'merged');
      expect(merged).toMatchObject({ mergedInto: 'default', health: 'warning', childPid: null, reason: 'merged into default' });
      expect(merged.remediation).toContain('give work its own dbPath');
      expect(g.account('default')!.mergedAccounts).toEqual(['work']);
      // One imsg-sim child reads the temp dir's chat.db: the owner's.
      expect(processesMatching(dir)).toEqual([owner.childPid]);
      const warning = await g.waitForRecords((r) => r.errorClass === 'shared-messages-source', 'the shared-source warning');
      expect(warning[0]).toMatchObject({ owner: 'default', merged: ['work'] });
      expect(String(warning[0]!.msg)).toContain('accounts default and work share one Messages source');

      // status and status --json show the merged account; a warning is not degraded (exit 0).
      const status = runCli(['status'], g.home);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/work\s+merged/);
      expect(status.stdout).toContain('give work its own dbPath');
      const json = JSON.parse(runCli(['status', '--json'], g.home).stdout) as GatewayStatus;
      expect(json.accounts.find((a) => a.id === 'work')).toMatchObject({ state: 'merged', mergedInto: 'default', health: 'warning' });

      // Several inbound messages: exactly one reply each, from the owner.
      const texts = ['m1', 'm2', 'm3', 'm4', 'm5'];
      texts.forEach((text, i) => inject(db, { from: `+1555444000${i}`, text }));
      await waitUntil(() => g.account('default')!.counters.sent >= texts.length || undefined, 'five replies sent');
      const replies = sentRows(db).map((r) => r.text).filter((t) => t.startsWith('echo: '));
      expect(replies.sort()).toEqual(texts.map((t) => `echo: ${t}`));
      expect(g.account('work')!.counters.received).toBe(0);

      // send --account work is refused, naming the owner; send --account default is queued.
      const refused = runCli(['send', '--account', 'work', '--to', '+15554440009', '--text', 'hi'], g.home);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('merged into it');
      expect(refused.stderr).toContain('--account default');
      expect(runCli(['send', '--account', 'default', '--to', '+15554440009', '--text', 'hi'], g.home).code).toBe(0);
      await waitUntil(() => sentRows(db).some((r) => r.text === 'hi') || undefined, 'the operator send');

      // Reload with work on its own chat.db: two sources, two children, both streaming and answering.
      const own = createSimDb(dir, 'work.db');
      const written = JSON.parse(readFileSync(configPath, 'utf8')) as { imessage: { accounts: Record<string, { dbPath: string }> } };
      written.imessage.accounts.work!.dbPath = own;
      writeFileSync(configPath, JSON.stringify(written));
      const reload = runCli(['reload'], g.home);
      expect(reload.code).toBe(0);
      const work = await g.waitForState('work', 'streaming');
      const owner2 = await g.waitForState('default', 'streaming');
      await waitUntil(() => processesMatching(dir).length === 2 || undefined, 'two imsg-sim children');
      expect(processesMatching(dir).sort()).toEqual([owner2.childPid, work.childPid].sort());
      inject(own, { from: '+15554440010', text: 'to work' });
      inject(db, { from: '+15554440011', text: 'to default' });
      await waitUntil(() => sentRows(own).some((r) => r.text === 'echo: to work') || undefined, 'work answering on its own db');
      await waitUntil(() => sentRows(db).some((r) => r.text === 'echo: to default') || undefined, 'default answering');
      expect(sentRows(db).filter((r) => r.text.startsWith('echo: m'))).toHaveLength(texts.length);
      expect(g.account('work')).not.toHaveProperty('mergedInto');
    }, 60_000);
  });
});

// Starts no gateway and no imsg (the config alone decides): nothing to vary by imsg-sim profile.
describe('one watcher per Messages source, no gateway running', () => {
  it('with no gateway running, send --account <merged> is refused the same way (the config decides)', () => {
    const dir = tempDir('gw-shared-stopped-');
    const db = createSimDb(dir, 'chat.db');
    const configPath = join(dir, 'config.json5');
    writeFileSync(
      configPath,
      JSON.stringify({ imessage: { accounts: { default: openAccount(SIM_BIN, db), work: openAccount(SIM_BIN, db) } }, agents: { list: [{ id: 'main', handler: { type: 'echo' } }] } }),
    );
    const refused = runCli(['send', '--config', configPath, '--account', 'work', '--to', '+15554440009', '--text', 'hi'], dir);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--account default');
    // Without --account, the one source means its owner.
    const queued = runCli(['send', '--config', configPath, '--to', '+15554440009', '--text', 'hi', '--json'], dir);
    expect(queued.code).toBe(0);
    expect(JSON.parse(queued.stdout)).toMatchObject({ account: 'default', gatewayRunning: false });
  });
});
