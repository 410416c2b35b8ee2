/**
 * The agents one account's messages can reach (bindings, else the default agent), each with its
 * handler, its access policy (mention patterns are per agent) and its session scope.
 */
import { createAgentHandler } from '../agents/create-agent.js';
import type { AgentHandler } from '../agents/types.js';
import type { AccountConfig, GatewayConfig } from '../config/index.js';
import type { ImsgMessage } from '../imsg/types.js';
import { inboundPolicyFor } from '../policy/policy-config.js';
import type { PairingService } from '../policy/pairing-service.js';
import { AccessPolicy } from '../policy/access-policy.js';
import { mentionPatternsFor } from '../routing/agent-mentions.js';
import { AgentRouter, agentSharedAcross } from '../routing/bindings.js';
import type { GatewayStore } from '../store/index.js';
import type { AgentRoute } from './inbound-pipeline.js';

export interface AccountRoutes {
  defaultAgentId: string;
  route(message: ImsgMessage): AgentRoute;
  agentById(agentId: string): AgentHandler | undefined;
}

export function buildAccountRoutes(
  account: AccountConfig,
  config: GatewayConfig,
  deps: {
    store: GatewayStore;
    pairing: PairingService;
    router: AgentRouter;
    /** Accounts merged into another one (one Messages source): they route nothing, so they share no agent. */
    merged?: ReadonlySet<string>;
  },
): AccountRoutes {
  const enabled = config.accounts.filter((a) => a.enabled && !deps.merged?.has(a.id)).map((a) => a.id);
  const routes = new Map<string, AgentRoute>();
  const policyAccount = { ...account, backlogMaxAgeMs: effectiveFence(account.backlogMaxAgeMs, account.catchUpMs) };
  for (const agentId of deps.router.agentsOf(account.id)) {
    const agent = config.agents.find((a) => a.id === agentId);
    if (!agent) continue; // the config check rejects bindings to unknown agents
    routes.set(agentId, {
      agent: createAgentHandler(agent.id, agent.handler),
      access: new AccessPolicy({
        accountId: account.id,
        policy: inboundPolicyFor(policyAccount, mentionPatternsFor(agent, config.messages.mentionPatterns)),
        store: deps.store,
        pairing: deps.pairing,
        historyLimit: account.historyLimit,
        service: account.service,
      }),
      agentShared: agentSharedAcross(deps.router, enabled, agentId),
      dmScope: config.session.dmScope,
      region: account.region,
    });
  }
  const defaultAgentId = deps.router.agentFor(account.id, 0, '');
  const fallback = routes.get(defaultAgentId) ?? [...routes.values()][0];
  if (!fallback) throw new Error(`account ${account.id}: no agent to route to`);
  return {
    defaultAgentId,
    route: (message) => routes.get(deps.router.agentFor(account.id, message.chat_id, message.sender)) ?? fallback,
    agentById: (agentId) => routes.get(agentId)?.agent,
  };
}

/** catchUp replays a window on first start; the fence must not drop what it asked to replay. */
export function effectiveFence(backlogMaxAgeMs: number | null, catchUpMs: number | null): number | null {
  if (backlogMaxAgeMs === null) return null;
  return catchUpMs === null ? backlogMaxAgeMs : Math.max(backlogMaxAgeMs, catchUpMs);
}
