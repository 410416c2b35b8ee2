/**
 * Decides, for one inbound message, whether it reaches the agent, and if not, why.
 *
 * The decision is made by the access-policy statechart (policy-chart.ts); the side effects of a
 * decision (pairing codes, group history) by AccessPolicy (policy-enforcer.ts). This module keeps
 * the names the pipeline and the CLI already import.
 */
import type { AccountConfig } from '../config/types.js';
import type { InboundPolicy } from './policy-chart.js';

export {
  decideInbound,
  isBacklog,
  isMentioned,
  isGroupish,
  DROP_REASONS,
  type DropReason,
  type InboundDecision,
  type InboundPolicy,
  type PolicyDecision,
} from './policy-chart.js';

/**
 * Why an account with this policy must not start, or undefined. Every dmPolicy and groupPolicy is
 * enforced now; what remains refused is an invalid combination the config check normally rejects
 * first: dmPolicy "open" without "*" in allowFrom.
 */
export function unenforcedPolicy(policy: Pick<InboundPolicy, 'dmPolicy' | 'groupPolicy' | 'allowFrom'>): string | undefined {
  if (policy.dmPolicy === 'open' && !policy.allowFrom.some((e) => String(e).trim() === '*')) {
    return 'dmPolicy "open" requires allowFrom to include "*"';
  }
  return undefined;
}

/** The InboundPolicy of an account, given its agent's compiled mention patterns. */
export function inboundPolicyFor(
  account: Pick<
    AccountConfig,
    'dmPolicy' | 'groupPolicy' | 'allowFrom' | 'groupAllowFrom' | 'groups' | 'region' | 'backlogMaxAgeMs'
  >,
  mentionPatterns: readonly RegExp[],
): InboundPolicy {
  return {
    dmPolicy: account.dmPolicy,
    groupPolicy: account.groupPolicy,
    allowFrom: account.allowFrom,
    ...(account.groupAllowFrom !== undefined ? { groupAllowFrom: account.groupAllowFrom } : {}),
    groups: account.groups,
    mentionPatterns,
    backlogMaxAgeMs: account.backlogMaxAgeMs,
    region: account.region,
  };
}
