/** The status file in the home: rewritten on every state change and every few seconds. */
import { join } from 'node:path';
import { readTextIfExists, writePrivateFile } from '../util/private-file.js';
import type { GatewayStatus } from './status.js';

export function statusPath(home: string): string {
  return join(home, 'status.json');
}

export function writeStatusFile(home: string, status: GatewayStatus): void {
  writePrivateFile(statusPath(home), `${JSON.stringify(status, null, 2)}\n`);
}

export function readStatusFile(home: string): GatewayStatus | undefined {
  const text = readTextIfExists(statusPath(home));
  if (!text) return undefined;
  try {
    return JSON.parse(text) as GatewayStatus;
  } catch {
    return undefined;
  }
}
