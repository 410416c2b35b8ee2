/**
 * gateway.inspector.enabled: the running gateway streams its account machines to the loopback
 * relay (what the Stately inspector page connects to), with message text and the credentials in
 * a failing child's error text sanitised out (a no-op sanitiser would let the latter through).
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';
import { wsConnect } from './ws-client.js';

const BEARER = 'e2e-bearer-secret';
const PASSWORD = 'e2e-password-secret';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
});

describe('Stately inspector of a running gateway', () => {
  it('streams the account machine to an authenticated viewer, without message text', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    // An imsg behind a wrapper that fails with credentials in its last output line (an SSH
    // wrapper's error, say): the account machine's CHILD_FAILED event and its context's lastError
    // carry that text, so the sanitiser has something real to remove.
    const leaky = join(dir, 'leaky-imsg');
    writeFileSync(leaky, `#!/bin/sh\necho "remote login failed (Authorization: Bearer ${BEARER}; password=${PASSWORD})" >&2\nexit 3\n`);
    chmodSync(leaky, 0o755);
    gateway = startGateway({
      imessage: { accounts: { default: openAccount(SIM_BIN, db), leaky: openAccount(leaky, createSimDb(dir, 'leaky.db')) } },
      gateway: { inspector: { enabled: true, port: 0 } },
    });
    await gateway.waitForState('default', 'streaming');
    // Off a terminal the banner prints the bridge page without the token (it is in the home's control-token).
    const line = await waitUntil(() => gateway!.logs.find((l) => l.startsWith('  inspector  http://')), 'the printed inspector URL');
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
    const token = readFileSync(join(gateway.home, 'control-token'), 'utf8').trim();
    expect(gateway.logs.join('\n')).not.toContain(token);
    const viewer = await wsConnect(port, ['imessage-gateway-inspect', `bearer.${token}`]);
    expect(viewer.status).toBe(101);
    // The account machine (a child of the root actor, named by its id), as the inspector draws it:
    // its definition, then its snapshots.
    await expect.poll(() => viewer.messages.some((m) => m.includes('"name":"account:default"')), { timeout: 10_000 }).toBe(true);
    // The leaky account's failure arrives with its error text, the credentials scrubbed out.
    await expect
      .poll(() => viewer.messages.some((m) => m.includes('CHILD_FAILED') && m.includes('remote login failed (Authorization: Bearer [redacted]; password=[redacted])')), { timeout: 15_000 })
      .toBe(true);
    await expect.poll(() => viewer.messages.some((m) => m.includes('streaming')), { timeout: 10_000 }).toBe(true);

    inject(db, { from: '+15558880001', text: 'top secret words' });
    await waitUntil(() => sentRows(db).length === 1 || undefined, 'the reply');
    process.kill(gateway.account('default')!.childPid!, 'SIGKILL');
    await expect.poll(() => viewer.messages.some((m) => m.includes('CHILD_FAILED')), { timeout: 10_000 }).toBe(true);
    const all = viewer.messages.join('\n');
    expect(all).not.toContain('top secret words');
    expect(all).not.toContain(BEARER);
    expect(all).not.toContain(PASSWORD);
    // Scrubbed at the source (the child's output tail), so the log and status.json never hold them either.
    const leakyStatus = gateway.account('leaky');
    expect(leakyStatus?.lastError).toContain('Bearer [redacted]; password=[redacted]');
    const everywhere = `${gateway.logs.join('\n')}\n${JSON.stringify(gateway.status())}`;
    expect(everywhere).not.toContain(BEARER);
    expect(everywhere).not.toContain(PASSWORD);
    viewer.socket?.destroy();
  });
});
