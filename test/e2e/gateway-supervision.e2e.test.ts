/**
 * Supervision end to end: real imsg-sim children crash, hang, lack permissions and recover, while
 * the real gateway process restarts, waits or carries on. Spawns are counted by the simulator
 * itself (IMSG_SIM_SPAWN_LOG), not by the gateway under test. Everything that runs an imsg child
 * runs against both imsg-sim profiles (0.9: legacy protocol; 0.15: v1, issue 12).
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, ONE_TURN_PER_MESSAGE, openAccount, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES } from '../helpers/sim-profiles.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

const spawnCount = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).length : 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  // One turn per message: these tests expect one reply per message, also for messages that wait out a crash.
  const start = (config: Record<string, unknown>) => startGateway({ messages: ONE_TURN_PER_MESSAGE, ...config }, undefined, { simProfile: profile });

  describe('crashes and hangs', () => {
    it('kill -9 of imsg leads to backoff-restart, then streaming, and messages written meanwhile still arrive', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      gateway = start({ imessage: openAccount(SIM_BIN, db) });
      await gateway.waitForState('default', 'streaming');
      inject(db, { from: '+15551239001', text: 'before' });
      await waitUntil(() => sentRows(db).some((r) => r.text === 'echo: before') || undefined, 'first reply');
      await waitUntil(() => (gateway!.account('default')?.counters.dropped['own-message'] ?? 0) >= 1 || undefined, 'echo seen');

      const pid = gateway.account('default')!.childPid!;
      process.kill(pid, 'SIGKILL');
      inject(db, { from: '+15551239001', text: 'during 1' });
      inject(db, { from: '+15551239002', text: 'during 2' });
      await waitUntil(() => gateway!.account('default')?.transitions.some((t) => t.to === 'backoff-restart') || undefined, 'backoff-restart');
      const after = await gateway.waitForState('default', 'streaming');
      expect(after.restarts).toBe(1);
      expect(after.childPid).not.toBe(pid);
      expect(after.transitions.map((t) => t.to)).toEqual(expect.arrayContaining(['backoff-restart', 'spawning', 'streaming']));
      await waitUntil(() => sentRows(db).length === 3 || undefined, 'replies to the messages written while imsg was down');
      expect(sentRows(db).map((r) => r.text)).toEqual(['echo: before', 'echo: during 1', 'echo: during 2']);
    });

    it('detects a hung imsg by its deadlines and restarts it, killing the hung process', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      // Enough answers for a restarted child to reach streaming, so it then hangs on a liveness probe:
      // 0.9 needs probe + subscribe; 0.15 also initialize, status and the messages.after catch-up
      // (the head estimate, a page) before its subscribe.
      const hangAfter = profile === '0.9' ? '4' : '8';
      const cli = simWrapper(dir, 'imsg-hang', { IMSG_SIM_HANG_AFTER_REQUESTS: hangAfter, IMSG_SIM_IGNORE_SIGTERM: '1' });
      gateway = start({ imessage: openAccount(cli, db) });
      await gateway.waitForState('default', 'streaming');
      const hungPid = gateway.account('default')!.childPid!;
      await waitUntil(() => gateway!.account('default')?.transitions.some((t) => t.to === 'backoff-restart') || undefined, 'hang detected');
      const status = gateway.account('default')!;
      expect(status.lastErrorClass).toBe('deadline');
      // The hung child ignores stdin EOF and SIGTERM: only SIGKILL of its group ends it.
      await waitUntil(() => {
        try {
          process.kill(hungPid, 0);
          return undefined;
        } catch {
          return true;
        }
      }, 'the hung imsg to be killed', 10_000);
      await gateway.waitForState('default', 'streaming');
    });

    it('keeps one account streaming while another crash-loops into cool-down', async () => {
      const dir = tempDir();
      const good = createSimDb(dir, 'good.db');
      const bad = createSimDb(dir, 'bad.db');
      const badLog = join(dir, 'bad-spawns.log');
      const badCli = simWrapper(dir, 'imsg-crash', { IMSG_SIM_EXIT_AFTER_NOTIFICATIONS: '0', IMSG_SIM_SPAWN_LOG: badLog });
      gateway = start({
        imessage: { accounts: { good: openAccount(SIM_BIN, good), bad: openAccount(badCli, bad) } },
        gateway: {
          supervision: {
            backoffInitialMs: 100,
            backoffMaxMs: 200,
            restartIntensity: { maxRestarts: 3, windowMs: 30_000 },
            coolDownMs: 60_000,
            permissionReprobeMs: 1000,
            livenessIntervalMs: 500,
            stopTimeoutMs: 500,
          },
        },
      });
      await gateway.waitForState('good', 'streaming');
      const goodPid = gateway.account('good')!.childPid;
      for (let i = 0; i < 5; i++) inject(good, { from: '+15551238000', text: `steady ${i}` });
      await gateway.waitForState('bad', 'cooling-down');
      await waitUntil(() => sentRows(good).length === 5 || undefined, 'all replies on the good account');
      const spawnsAtCoolDown = spawnCount(badLog);
      expect(spawnsAtCoolDown).toBe(4); // first start + 3 restarts, then the breaker holds
      await sleep(1500);
      expect(spawnCount(badLog)).toBe(spawnsAtCoolDown);
      const goodStatus = gateway.account('good')!;
      expect(goodStatus.state).toBe('streaming');
      expect(goodStatus.restarts).toBe(0);
      expect(goodStatus.childPid).toBe(goodPid);
      const badStatus = gateway.account('bad')!;
      expect(badStatus.nextRetryAt).not.toBeNull();
      expect(badStatus.lastErrorClass).toBe('exited');
    });
  });

  describe('permissions', () => {
    // How a missing Full Disk Access looks depends on the imsg version: 0.8.2-0.13 answer with the
    // permission banner (json: -32603 and exit at EOF; text: the banner printed, exit at once), and
    // the gateway re-probes with a new child; 0.14+ answers -32002 Database unavailable and keeps
    // the child, which the gateway re-checks in place. The banner forms exist only in the 0.9
    // profile (the 0.15 profile ignores the form), so 0.15 runs one case, with the stricter
    // expectation that the child is never respawned.
    const forms = profile === '0.9' ? (['json', 'text'] as const) : (['-32002'] as const);
    for (const form of forms) {
      it(`waits in awaiting-permissions (${form} form) without a restart loop, and streams once granted`, async () => {
        const dir = tempDir();
        const db = createSimDb(dir);
        const flag = join(dir, 'fda-denied');
        const log = join(dir, 'spawns.log');
        writeFileSync(flag, '');
        const cli = simWrapper(dir, 'imsg-fda', {
          IMSG_SIM_PERMISSION_FLAG: flag,
          ...(form === '-32002' ? {} : { IMSG_SIM_PERMISSION_DENIED: form }),
          IMSG_SIM_SPAWN_LOG: log,
        });
        gateway = start({ imessage: openAccount(cli, db) });
        const waiting = await gateway.waitForState('default', 'awaiting-permissions');
        expect(waiting.lastErrorClass).toBe('full-disk-access');
        expect(waiting.remediation).toContain(cli);
        const t0 = Date.now();
        await sleep(3200);
        // Re-probes on the slow timer only (1 s in this config): a restart loop would spawn dozens.
        const elapsed = (Date.now() - t0) / 1000;
        if (form === '-32002') expect(spawnCount(log)).toBe(1);
        else expect(spawnCount(log)).toBeLessThanOrEqual(Math.ceil(elapsed) + 2);
        expect(gateway.account('default')!.restarts).toBe(0);
        expect(gateway.account('default')!.state).toBe('awaiting-permissions');
        const explained = gateway.records((r) => typeof r.msg === 'string' && r.msg.includes('To fix: Grant Full Disk Access'));
        expect(explained).toHaveLength(1);

        unlinkSync(flag); // the operator grants Full Disk Access
        const streaming = await gateway.waitForState('default', 'streaming');
        if (form === '-32002') {
          // Recovered in place: the child that reported -32002 is the one that streams.
          expect(streaming.childPid).toBe(waiting.childPid);
          expect(spawnCount(log)).toBe(1);
        }
        inject(db, { from: '+15551237000', text: 'granted' });
        await waitUntil(() => sentRows(db).some((r) => r.text === 'echo: granted') || undefined, 'reply after grant');
      });
    }

    it('treats a database that does not exist like missing Full Disk Access, as imsg does', async () => {
      const dir = tempDir();
      gateway = start({ imessage: openAccount(SIM_BIN, join(dir, 'missing.db')) });
      const status = await gateway.waitForState('default', 'awaiting-permissions');
      expect(status.remediation).toContain('missing.db');
    });
  });

  describe('signals', () => {
    it('Ctrl-C delivered twice at once (terminal and npm) is one orderly stop, not a second signal', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      gateway = start({ imessage: { accounts: { bot: openAccount(SIM_BIN, db) } } });
      await gateway.waitForState('bot', 'streaming');
      gateway.proc.kill('SIGINT');
      gateway.proc.kill('SIGINT');
      const { code } = await gateway.exited();
      expect(code).toBe(0);
      expect(gateway.records((r) => r.msg === 'gateway stopped')).toHaveLength(1);
      expect(gateway.records((r) => String(r.msg).includes('second signal'))).toEqual([]);
    });
  });

  describe('status from the command line', () => {
    it('status --json reports each account, including a disabled one', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      gateway = start({
        imessage: {
          accounts: {
            bot: openAccount(SIM_BIN, db),
            personal: { cliPath: SIM_BIN, dbPath: db, enabled: false },
          },
        },
      });
      await gateway.waitForState('bot', 'streaming');
      const { code, stdout } = runCli(['status', '--json'], gateway.home);
      expect(code).toBe(0);
      const status = JSON.parse(stdout) as {
        running: boolean;
        runtime: { node: string; sqlite: string };
        accounts: Array<Record<string, unknown>>;
      };
      expect(status.running).toBe(true);
      // What the gateway runs on: the Node that runs it (the one running this test) and its SQLite.
      expect(status.runtime.node).toBe(process.version);
      expect(status.runtime.sqlite).toMatch(/^3\.\d+\.\d+$/);
      const bot = status.accounts.find((a) => a.id === 'bot')!;
      expect(bot).toMatchObject({ id: 'bot', state: 'streaming', lastError: null, restarts: 0 });
      expect(typeof bot.since).toBe('string');
      const personal = status.accounts.find((a) => a.id === 'personal')!;
      expect(personal).toMatchObject({ state: 'disabled', enabled: false });
      const text = runCli(['status'], gateway.home);
      expect(text.stdout).toMatch(/bot\s+streaming/);
      expect(text.stdout).toContain(`on Node.js ${process.version}, SQLite 3.`);

      await gateway.stop();
      const after = runCli(['status', '--json'], gateway.home);
      expect(after.code).toBe(3);
      expect(JSON.parse(after.stdout).running).toBe(false);
    });
  });
});

// Nothing below runs an imsg child (the cliPath does not exist, or the config is refused first):
// once, not per profile.
describe('spawn and config errors', () => {
  it('puts a missing cliPath in misconfigured with the fix', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    gateway = startGateway({ imessage: openAccount(join(dir, 'no-such-imsg'), db) });
    const status = await gateway.waitForState('default', 'misconfigured');
    expect(status.lastErrorClass).toBe('spawn');
    expect(status.remediation).toMatch(/cliPath/);
  });

  it('rejects an invalid config with the key path and a suggestion, and starts nothing', () => {
    const home = tempDir('gw-home-');
    const path = join(home, 'config.json5');
    writeFileSync(path, '{ imessage: { dmPolicy: "open", allowFrom: ["*"], includeAttachment: true } }');
    const check = runCli(['config', 'check', '--config', path], home);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('imessage.includeAttachment');
    expect(check.stderr).toContain('includeAttachments');
    const start = runCli(['start', '--config', path], home);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('includeAttachments');
    expect(existsSync(join(home, 'gateway.lock'))).toBe(false);
  });

  it('reports JSON5 syntax errors with line and column', () => {
    const home = tempDir('gw-home-');
    const path = join(home, 'config.json5');
    writeFileSync(path, '{\n  imessage: {\n    cliPath: "imsg",,\n  }\n}\n');
    const check = runCli(['config', 'check', '--config', path], home);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/config\.json5:3:\d+/);
  });

  it('rejects dmPolicy open without "*" and a cliPath with shell metacharacters', () => {
    const home = tempDir('gw-home-');
    const path = join(home, 'config.json5');
    writeFileSync(
      path,
      JSON.stringify({ imessage: { dmPolicy: 'open', allowFrom: ['+15551234567'], cliPath: 'imsg; rm -rf /' }, agents: { list: [{ id: 'a', handler: { type: 'echo' } }] } }),
    );
    const check = runCli(['config', 'check', '--config', path], home);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('imessage.dmPolicy');
    expect(check.stderr).toContain('imessage.cliPath');
  });
});