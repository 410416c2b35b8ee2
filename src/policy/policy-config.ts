/**
 * An account's access-policy configuration, and its compiled form: the allowlists normalised once
 * (when the account's routes are built), so deciding on a message never parses the config again.
 * The compiled policy is a plain value the caller holds; nothing here caches anything.
 */
import type { AccountConfig, DmPolicy, GroupConfig, GroupPolicy } from '../config/types.js';
import { compileAllowlist, type Allowlist } from '../routing/allowlist.js';
import { DEFAULT_REGION } from '../routing/handles.js';

export interface InboundPolicy {
  dmPolicy: DmPolicy;
  groupPolicy: GroupPolicy;
  allowFrom: readonly string[];
  /** undefined: fall back to allowFrom; []: nobody. */
  groupAllowFrom?: readonly string[] | undefined;
  groups: Readonly<Record<string, GroupConfig>>;
  /** Compiled case-insensitive mention patterns of the account's agent. */
  mentionPatterns: readonly RegExp[];
  /** Backlog fence: a message older than this when it arrives is recorded, not acted on. null = off. */
  backlogMaxAgeMs?: number | null;
  /** Region for national phone numbers (default US). */
  region?: string;
}

export interface CompiledPolicy {
  readonly config: InboundPolicy;
  /** Effective: "open" without "*" in allowFrom is read as "allowlist" (fail closed). */
  readonly dmPolicy: DmPolicy;
  /** dmPolicy "open" was configured without "*": the trace says why it acts as an allowlist. */
  readonly openWithoutWildcard: boolean;
  readonly allow: Allowlist;
  /** groupAllowFrom, or allowFrom when unset. */
  readonly groupAllow: Allowlist;
  readonly hasGroups: boolean;
  readonly hasStarGroup: boolean;
  readonly starRequireMention: boolean | undefined;
}

export function compilePolicy(config: InboundPolicy): CompiledPolicy {
  const region = config.region ?? DEFAULT_REGION;
  const allow = compileAllowlist(config.allowFrom, region);
  const groupAllow = config.groupAllowFrom === undefined ? allow : compileAllowlist(config.groupAllowFrom, region);
  const openWithoutWildcard = config.dmPolicy === 'open' && !allow.isWildcard;
  const hasStarGroup = Object.hasOwn(config.groups, '*');
  return {
    config,
    dmPolicy: openWithoutWildcard ? 'allowlist' : config.dmPolicy,
    openWithoutWildcard,
    allow,
    groupAllow,
    hasGroups: Object.keys(config.groups).length > 0,
    hasStarGroup,
    starRequireMention: hasStarGroup ? config.groups['*']?.requireMention : undefined,
  };
}

/**
 * Why an account with this policy must not start, or undefined. Every dmPolicy and groupPolicy is
 * enforced; what remains refused is an invalid combination the config check normally rejects
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
