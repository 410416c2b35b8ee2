/**
 * A real Supervisor, built as run-gateway.ts builds it, on real imsg-sim databases and processes
 * and a simulated clock (advanced only on purpose): the fixture of the supervisor's real-process
 * tests. Everything it opens is closed by the `cleanups` list the test drains after each case.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { type InspectionEvent, SimulatedClock } from 'xstate';
import { type GatewayConfig, validateConfigObject } from '../../src/config/index.js';
import { PairingService } from '../../src/policy/pairing-service.js';
import { GatewayStore } from '../../src/store/index.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { createPool } from '../../src/workers/index.js';
import { SIM_BIN, tempDir } from './sim-db.js';

export type Cleanups = Array<() => void | Promise<void>>;

/** A temporary folder removed after the test. */
export function fixtureDir(cleanups: Cleanups, prefix: string): string {
  const dir = tempDir(prefix);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An account on the simulator's database `db`, open to everyone. */
export function openSimAccount(db: string, cliPath: string = SIM_BIN): Record<string, unknown> {
  return { cliPath, dbPath: db, dmPolicy: 'open', allowFrom: ['*'] };
}

/** A validated config of these accounts (id → account) with the echo agent, plus `extra` top-level keys. */
export function echoConfig(dir: string, accounts: Record<string, Record<string, unknown>>, label: string, extra: Record<string, unknown> = {}): GatewayConfig {
  return validateConfigObject(
    {
      imessage: { accounts },
      agents: { list: [{ id: 'echo', default: true, handler: { type: 'echo' } }] },
      ...extra,
    },
    label,
    { homeDir: dir },
  );
}

/** Log lines of a logger at info, parsed. */
export function recordingLogger(): { logger: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, records };
}

export interface RealSupervisor {
  supervisor: Supervisor;
  store: GatewayStore;
  clock: SimulatedClock;
}

/** Builds and starts the supervisor over `dir/state.db`; it, its store and pool are closed by `cleanups`. */
export function startRealSupervisor(
  cleanups: Cleanups,
  o: { dir: string; config: GatewayConfig; logger?: Logger; inspect?: (event: InspectionEvent) => void },
): RealSupervisor {
  const store = GatewayStore.open(join(o.dir, 'state.db'));
  const pool = createPool({ disabled: true });
  cleanups.push(() => pool.close());
  cleanups.push(() => store.close());
  const clock = new SimulatedClock();
  clock.set(Date.now());
  const supervisor = new Supervisor({
    config: o.config,
    configPath: null,
    store,
    pairing: new PairingService(store, { region: () => 'US' }),
    pool,
    mediaDir: join(o.dir, 'media'),
    clock,
    // The simulated clock is only advanced on purpose: finished turns commit at the next event-loop turn.
    completionWindowMs: 0,
    journalGapMs: 0,
    logger: o.logger ?? pino({ level: 'silent' }),
    ...(o.inspect ? { inspect: o.inspect } : {}),
  });
  cleanups.push(async () => void (await supervisor.stop()));
  supervisor.start();
  return { supervisor, store, clock };
}
