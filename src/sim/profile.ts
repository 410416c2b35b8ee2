import { ArgError, type ParsedArgs, type OptionSpec } from './args.js';

/**
 * Which imsg the simulator behaves like. `0.9` is steipete/imsg 0.9.x (the baseline spec);
 * `0.15` is openclaw/imsg 0.15.10 (protocol v1, ../shared/docs/imsg-rpc-current.md).
 * The default stays `0.9` until the gateway client speaks v1 (issue 12 wants `0.15` then).
 */
export type Profile = '0.9' | '0.15';

export const DEFAULT_PROFILE: Profile = '0.9';
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
  if (raw === undefined || raw === '') return DEFAULT_PROFILE;
  const p = ALIASES[raw.trim()];
  if (!p) throw new ArgError(`Invalid value for option: --profile: ${raw} (0.9|0.15)`);
  return p;
}

/** `imsg --version` per profile (IMSG_VERSION still overrides). */
export function profileVersion(p: Profile): string {
  return p === '0.15' ? '0.15.10' : '0.9.0';
}
