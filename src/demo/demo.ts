/**
 * The embedded demo: two accounts ("bot" and "personal"), each on its own imsg-sim database under
 * <home>/demo, an echo agent, and a small traffic generator writing DMs and group messages into
 * the databases as Messages.app would. Everything else is the real gateway.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { type GatewayConfig, validateConfigObject } from '../config/index.js';
import { initSimDb } from '../sim/schema.js';
import { ensurePrivateDir } from '../util/private-file.js';
import { DemoTraffic } from './traffic.js';

export const SIM_BIN = fileURLToPath(new URL('../../bin/imsg-sim.js', import.meta.url));

export function demoConfigObject(demoDir: string): Record<string, unknown> {
  const account = (name: string, db: string, extra: Record<string, unknown>) => ({
    name,
    cliPath: SIM_BIN,
    dbPath: join(demoDir, db),
    dmPolicy: 'open',
    allowFrom: ['*'],
    ...extra,
  });
  return {
    imessage: {
      accounts: {
        bot: account('Bot', 'bot-chat.db', { groupPolicy: 'open' }),
        personal: account('Personal', 'personal-chat.db', { groupPolicy: 'disabled' }),
      },
    },
    agents: { list: [{ id: 'echo', name: 'Bot', default: true, handler: { type: 'echo' } }] },
    messages: { groupChat: { mentionPatterns: ['\\bbot\\b', '@bot'] } },
    gateway: { logLevel: 'info', supervision: { livenessIntervalMs: 5000 } },
  };
}

export interface PreparedDemo {
  config: GatewayConfig;
  start(logger: Logger): void;
  stop(): Promise<void>;
}

export function prepareDemo(home: string): PreparedDemo {
  const demoDir = join(home, 'demo');
  ensurePrivateDir(demoDir);
  const raw = demoConfigObject(demoDir);
  const config = validateConfigObject(raw, 'embedded demo');
  for (const account of config.accounts) {
    if (account.dbPath && !existsSync(account.dbPath)) initSimDb(account.dbPath);
  }
  let traffic: DemoTraffic | undefined;
  return {
    config,
    start(logger) {
      const dbs = Object.fromEntries(config.accounts.map((a) => [a.id, a.dbPath ?? '']));
      traffic = new DemoTraffic(dbs, logger);
      traffic.start();
    },
    async stop() {
      traffic?.stop();
    },
  };
}
