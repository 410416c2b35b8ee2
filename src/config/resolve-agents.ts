/**
 * Agents: `agents.list[]`. Ids are case-insensitive (lowercased) and unique; at most one agent is
 * `default: true`, and the default agent is that one, else the first in the list.
 */
import { DEFAULT_AGENT_TIMEOUT_MS } from './defaults.js';
import { formatPath, type ConfigIssue } from './errors.js';
import { expandHome } from './paths.js';
import { isRecordLike, recordAt } from './raw.js';
import type { RawAgent, RawHandler } from './schema.js';
import type { AgentConfig, AgentHandlerConfig } from './types.js';

const EXAMPLE_AGENT = '{ id: "main", handler: { type: "echo" } }';

/** Cross-entry checks on the raw config (run even when the shape has errors). */
export function checkAgents(raw: unknown, enabledAccountIds: readonly string[], sectionPath: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const agentsRaw = isRecordLike(raw) ? raw.agents : undefined;
  if (agentsRaw !== undefined && !isRecordLike(agentsRaw)) return issues; // shape error reported by zod
  const list = recordAt(raw, 'agents')?.list;
  const entries = Array.isArray(list) ? list : [];

  if (entries.length === 0 && enabledAccountIds.length > 0 && (list === undefined || Array.isArray(list))) {
    const accounts = enabledAccountIds.map((id) => JSON.stringify(id)).join(', ');
    issues.push({
      path: 'agents.list',
      message:
        `no agents are configured, but ${enabledAccountIds.length === 1 ? 'the account' : 'the accounts'} ${accounts} ` +
        `${enabledAccountIds.length === 1 ? 'is' : 'are'} enabled and inbound messages would have nowhere to go. ` +
        `Add an agent, e.g. agents: { list: [${EXAMPLE_AGENT}] }, or set ${sectionPath}.enabled: false`,
    });
  }

  const ids = new Map<string, number>();
  let firstDefault: number | undefined;
  entries.forEach((entry, index) => {
    if (!isRecordLike(entry)) return;
    if (typeof entry.id === 'string') {
      const id = entry.id.toLowerCase();
      const previous = ids.get(id);
      if (previous !== undefined) {
        issues.push({
          path: formatPath(['agents', 'list', index, 'id']),
          message: `duplicate agent id ${JSON.stringify(entry.id)}: ${formatPath(['agents', 'list', previous, 'id'])} is already ${JSON.stringify(id)} (ids are case-insensitive); give each agent its own id`,
        });
      } else {
        ids.set(id, index);
      }
    }
    if (entry.default === true) {
      if (firstDefault !== undefined) {
        issues.push({
          path: formatPath(['agents', 'list', index, 'default']),
          message: `only one agent may have default: true, and ${formatPath(['agents', 'list', firstDefault])} already does; remove one of them`,
        });
      } else {
        firstDefault = index;
      }
    }
  });
  return issues;
}

function resolveHandler(handler: RawHandler, homeDir: string): AgentHandlerConfig {
  switch (handler.type) {
    case 'echo':
      return { type: 'echo' };
    case 'none':
      return { type: 'none' };
    case 'command': {
      const [first, ...rest] = handler.argv;
      const out: AgentHandlerConfig = {
        type: 'command',
        argv: [expandHome(first ?? '', homeDir), ...rest],
        timeoutMs: handler.timeoutMs ?? DEFAULT_AGENT_TIMEOUT_MS,
      };
      if (handler.cwd !== undefined) out.cwd = expandHome(handler.cwd, homeDir);
      if (handler.env !== undefined) out.env = Object.fromEntries(Object.entries(handler.env));
      return out;
    }
    case 'http': {
      const out: AgentHandlerConfig = {
        type: 'http',
        url: handler.url,
        timeoutMs: handler.timeoutMs ?? DEFAULT_AGENT_TIMEOUT_MS,
      };
      if (handler.headers !== undefined) out.headers = Object.fromEntries(Object.entries(handler.headers));
      return out;
    }
  }
}

export function resolveAgents(
  list: readonly RawAgent[] | undefined,
  homeDir: string,
): { agents: AgentConfig[]; defaultAgentId: string | undefined } {
  const agents = (list ?? []).map((raw): AgentConfig => {
    const agent: AgentConfig = {
      id: raw.id.toLowerCase(),
      default: raw.default === true,
      handler: resolveHandler(raw.handler, homeDir),
    };
    const name = raw.name?.trim();
    if (name !== undefined && name !== '') agent.name = name;
    if (raw.groupChat?.mentionPatterns !== undefined) agent.mentionPatterns = [...raw.groupChat.mentionPatterns];
    return agent;
  });
  const defaultAgentId = (agents.find((a) => a.default) ?? agents[0])?.id;
  return { agents, defaultAgentId };
}
