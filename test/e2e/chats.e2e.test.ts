/** `imessage-gateway chats` lists an account's chats through its own imsg (here imsg-sim). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, tempDir } from '../helpers/sim-db.js';

describe('chats command', () => {
  it('lists chats with their chat_id, as text and as JSON', () => {
    const home = tempDir('gw-home-');
    const db = createSimDb(tempDir());
    const dm = inject(db, { from: '+15556660001', text: 'hi' });
    const group = inject(db, { from: '+15556660002', text: 'yo', group: 'Climbing', participants: ['+15556660002', 'b@example.com'] });
    writeFileSync(
      join(home, 'config.json5'),
      JSON.stringify({ imessage: { cliPath: SIM_BIN, dbPath: db, dmPolicy: 'disabled', groupPolicy: 'disabled' }, agents: { list: [{ id: 'a', handler: { type: 'none' } }] } }),
    );
    const text = runCli(['chats', '--limit', '5'], home);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`chat_id:${dm.chat_id}`);
    expect(text.stdout).toContain(`chat_id:${group.chat_id}  group  Climbing`);
    const json = runCli(['chats', '--json', '--limit', '1'], home);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: number; is_group: boolean });
    expect(lines).toEqual([expect.objectContaining({ id: group.chat_id, is_group: true })]);
    expect(runCli(['chats', '--limit', '0'], home).code).toBe(2);
  });

  let gateway: GatewayProcess | undefined;
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
  });

  it("asks a running gateway (its running config, not the file's edits since); the file's once it stopped", async () => {
    const dir = tempDir();
    const running = createSimDb(dir, 'running.db');
    const edited = createSimDb(dir, 'edited.db');
    const mine = inject(running, { from: '+15556660011', text: 'hi' });
    const theirs = inject(edited, { from: '+15556660012', text: 'hi', group: 'Edited', participants: ['+15556660012', 'c@example.com'] });
    gateway = startGateway({ imessage: { accounts: { bot: { cliPath: SIM_BIN, dbPath: running, dmPolicy: 'disabled', groupPolicy: 'disabled' } } } });
    const g = gateway;
    await g.waitForState('bot', 'streaming');
    // The file now names another account on another database; the gateway has not reloaded it.
    const configPath = join(g.home, 'config.json5');
    writeFileSync(
      configPath,
      JSON.stringify({ imessage: { accounts: { other: { cliPath: SIM_BIN, dbPath: edited, dmPolicy: 'disabled', groupPolicy: 'disabled' } } }, agents: { list: [{ id: 'a', handler: { type: 'none' } }] } }),
    );
    const live = runCli(['chats', '--json'], g.home);
    expect(live.code, live.stderr).toBe(0);
    expect(live.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: number }).id)).toEqual([mine.chat_id]);
    const unknown = runCli(['chats', '--account', 'other'], g.home);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown or disabled account "other"');

    await g.stop();
    gateway = undefined;
    const stopped = runCli(['chats', '--account', 'other'], g.home);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain(`chat_id:${theirs.chat_id}  group  Edited`);
  }, 90_000);
});
