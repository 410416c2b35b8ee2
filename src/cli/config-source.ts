/** Which config a command uses: --config FILE, else <home>/config.json5. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultConfigPath, type GatewayConfig, loadConfigFile } from '../config/index.js';

export interface ConfigSource {
  path: string;
  config: GatewayConfig;
}

export function configPathFor(home: string, explicit: string | undefined): string {
  return explicit ? resolve(explicit) : defaultConfigPath(home);
}

export function hasConfig(home: string, explicit: string | undefined): boolean {
  return explicit !== undefined || existsSync(defaultConfigPath(home));
}

export function loadConfigSource(home: string, explicit: string | undefined): ConfigSource {
  const path = configPathFor(home, explicit);
  return { path, config: loadConfigFile(path) };
}
