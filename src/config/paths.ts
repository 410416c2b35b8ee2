/** Where the config lives, and `~` expansion for path-valued keys. */
import os from 'node:os';
import path from 'node:path';

export const HOME_ENV = 'IMESSAGE_GATEWAY_HOME';
export const CONFIG_FILE_NAME = 'config.json5';

/** `$IMESSAGE_GATEWAY_HOME` (with `~` expanded, made absolute) or `~/.imessage-gateway`. */
export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const userHome = env.HOME !== undefined && env.HOME !== '' ? env.HOME : os.homedir();
  const configured = env[HOME_ENV];
  if (configured !== undefined && configured.trim() !== '') {
    return path.resolve(expandHome(configured.trim(), userHome));
  }
  return path.resolve(userHome, '.imessage-gateway');
}

export function defaultConfigPath(home: string): string {
  return path.join(home, CONFIG_FILE_NAME);
}

/** "~" and "~/x" become the user's home; anything else (including "~user/x") is returned unchanged. */
export function expandHome(value: string, homeDir: string): string {
  if (value === '~') return homeDir;
  if (value.startsWith('~/')) return path.join(homeDir, value.slice(2));
  return value;
}

/** "~user/..." is not expanded (we do not look up other users): reject it instead of spawning "~bob/imsg". */
export function tildeUserReason(value: string): string | undefined {
  if (value.startsWith('~') && value !== '~' && !value.startsWith('~/')) {
    return `only "~" and "~/..." are expanded; write the full path instead of ${JSON.stringify(value)}`;
  }
  return undefined;
}
