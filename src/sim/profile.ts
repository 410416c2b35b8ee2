import { ArgError, type ParsedArgs, type OptionSpec } from './args.js';

/**
 * Which imsg the simulator behaves like. `0.9` is steipete/imsg 0.9.x (the baseline spec);
 * `0.15` is openclaw/imsg 0.15.10 (protocol v1, ../shared/docs/imsg-rpc-current.md), the default
 * since the gateway client negotiates v1 (issue 12, item 6).
 */
export type Profile = '0.9' | '0.15';

export const DEFAULT_PROFILE: Profile = '0.15';
export const PROFILE_ENV = 'IMSG_SIM_PROFILE';
export const PROFILE_SPEC: OptionSpec = { name: 'profile', takesValue: true };

const ALIASES: Record<string, Profile> = {
  '0.9': '0.9',
  '0.9.0': '0.9',
  '0.15': '0.15',
  '0.15.10': '0.15',
  current: '0.15',
};

/** `--profile` wins over IMSG_SIM_PROFILE; an unknown value is a usage error. */
export function resolveProfile(args: ParsedArgs, env: NodeJS.ProcessEnv): Profile {
  const fromFlag = args.values.get('profile');
  const raw = typeof fromFlag === 'string' ? fromFlag : env[PROFILE_ENV];
  const p = profileNamed(raw);
  if (!p) throw new ArgError(`Invalid value for option: --profile: ${raw} (0.9|0.15)`);
  return p;
}

/** The profile a name (or alias) stands for; unset or empty is the default; undefined when unknown. */
export function profileNamed(raw: string | undefined): Profile | undefined {
  if (raw === undefined || raw === '') return DEFAULT_PROFILE;
  return ALIASES[raw.trim()];
}

/** `imsg --version` per profile (IMSG_VERSION still overrides). */
export function profileVersion(p: Profile): string {
  return p === '0.15' ? '0.15.10' : '0.9.0';
}
