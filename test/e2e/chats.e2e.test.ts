/** `imessage-gateway chats` lists an account's chats through its own imsg (here imsg-sim). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/gateway-process.js';
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
});
