/**
 * Owns one AccountRuntime per enabled account, one-for-one: an account's failures never touch
 * another. Accounts whose configured policy this build cannot enforce are refused (fail closed)
 * and shown as such. Stops everything in order within a bounded time.
 */
import type { Logger } from 'pino';
import { createAgentHandler } from '../agents/create-agent.js';
import type { AgentHandler } from '../agents/types.js';
import type { AccountConfig, GatewayConfig } from '../config/index.js';
import { unenforcedPolicy } from '../machines/inbound-policy.js';
import { mentionPatternsFor } from '../routing/agent-mentions.js';
import type { GatewayStore } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import { newCounters } from './account-counters.js';
import { AccountRuntime } from './account-runtime.js';
import type { AccountStatus, GatewayStatus } from './status.js';

export interface SupervisorOptions {
  config: GatewayConfig;
  configPath: string | null;
  store: GatewayStore;
  clock: Clock;
  logger: Logger;
  onChange?: () => void;
}

/** How often the outbox is checked for rows another process (`imessage-gateway send`) added. */
const OUTBOX_POLL_MS = 500;
const PRUNE_EVERY_MS = 3_600_000;
const KEEP_SETTLED_MS = 30 * 86_400_000;

export class Supervisor {
  private readonly runtimes = new Map<string, AccountRuntime>();
  private readonly inactive: AccountStatus[] = [];
  private readonly startedAt: number;
  private pollTimer: unknown;
  private lastOutboxId = 0;
  private lastPrune = 0;

  constructor(private readonly o: SupervisorOptions) {
    this.startedAt = o.clock.now();
  }

  start(): void {
    const { config, logger } = this.o;
    const agent = config.agents.find((a) => a.id === config.defaultAgentId);
    const enabled = config.accounts.filter((a) => a.enabled);
    const handlers = new Map<string, AgentHandler>();
    for (const account of config.accounts) {
      const log = logger.child({ account: account.id });
      if (!account.enabled) {
        this.inactive.push(this.inactiveStatus(account, 'disabled', null));
        log.info('account disabled in config');
        continue;
      }
      const refusal = unenforcedPolicy(account);
      if (refusal || !agent) {
        const reason = refusal ?? 'no agent is configured (agents.list)';
        this.inactive.push(this.inactiveStatus(account, 'refused', reason));
        log.error({ errorClass: 'policy-not-enforced' }, `account not started: ${reason}`);
        continue;
      }
      let handler = handlers.get(agent.id);
      if (!handler) {
        handler = createAgentHandler(agent.id, agent.handler);
        handlers.set(agent.id, handler);
      }
      const runtime = new AccountRuntime({
        account,
        agent: handler,
        agentShared: enabled.length > 1,
        policy: {
          dmPolicy: account.dmPolicy,
          groupPolicy: account.groupPolicy,
          allowFrom: account.allowFrom,
          groups: account.groups,
          mentionPatterns: mentionPatternsFor(agent, config.messages.mentionPatterns),
        },
        responsePrefix: config.messages.responsePrefix,
        supervision: config.gateway.supervision,
        store: this.o.store,
        clock: this.o.clock,
        logger: log,
        ...(this.o.onChange ? { onChange: this.o.onChange } : {}),
      });
      this.runtimes.set(account.id, runtime);
    }
    for (const runtime of this.runtimes.values()) runtime.start();
    this.lastOutboxId = this.safely(() => this.o.store.maxOutboxId()) ?? 0;
    this.lastPrune = this.o.clock.now();
    this.pollTimer = this.o.clock.setTimeout(() => this.poll(), OUTBOX_POLL_MS);
    logger.info({ accounts: this.runtimes.size, refused: this.inactive.length }, 'gateway started');
  }

  /** Picks up outbox rows inserted by the CLI, and prunes settled rows now and then. */
  private poll(): void {
    const max = this.safely(() => this.o.store.maxOutboxId());
    if (max !== undefined && max > this.lastOutboxId) {
      this.lastOutboxId = max;
      for (const runtime of this.runtimes.values()) runtime.kickOutbox();
    }
    const now = this.o.clock.now();
    if (now - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = now;
      const pruned = this.safely(() => this.o.store.prune(now - KEEP_SETTLED_MS));
      if (pruned && (pruned.journal > 0 || pruned.outbox > 0)) this.o.logger.info(pruned, 'pruned settled journal and outbox rows');
    }
    this.pollTimer = this.o.clock.setTimeout(() => this.poll(), OUTBOX_POLL_MS);
  }

  private safely<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'state database unavailable');
      return undefined;
    }
  }

  account(id: string): AccountRuntime | undefined {
    return this.runtimes.get(id.toLowerCase());
  }

  status(running = true): GatewayStatus {
    const now = this.o.clock.now();
    const accounts = [...[...this.runtimes.values()].map((r) => r.status()), ...this.inactive];
    accounts.sort((a, b) => a.id.localeCompare(b.id));
    return {
      running,
      pid: process.pid,
      startedAt: new Date(this.startedAt).toISOString(),
      updatedAt: new Date(now).toISOString(),
      configPath: this.o.configPath,
      accounts,
    };
  }

  /** Stops every account concurrently; each stop is bounded by the client's escalation to SIGKILL. */
  async stop(): Promise<void> {
    this.o.logger.info('stopping all accounts');
    if (this.pollTimer !== undefined) this.o.clock.clearTimeout(this.pollTimer);
    await Promise.allSettled([...this.runtimes.values()].map((r) => r.stop()));
    this.o.logger.info('all accounts stopped');
  }

  private inactiveStatus(account: AccountConfig, state: 'disabled' | 'refused', reason: string | null): AccountStatus {
    const now = new Date(this.o.clock.now()).toISOString();
    return {
      id: account.id,
      name: account.name ?? null,
      enabled: account.enabled,
      state,
      since: now,
      lastError: reason,
      lastErrorClass: reason ? 'policy-not-enforced' : null,
      remediation: reason,
      lastErrorAt: reason ? now : null,
      restarts: 0,
      attempt: 0,
      nextRetryAt: null,
      reason: reason ?? 'disabled in config',
      childPid: null,
      cursor: null,
      agentId: null,
      counters: newCounters(),
      journalLag: 0,
      outbox: { depth: 0, oldestQueuedAt: null, failed: 0, unknown: 0 },
      pausedChats: [],
      transitions: [],
    };
  }
}
