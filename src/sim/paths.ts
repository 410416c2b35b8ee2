import os from 'node:os';
import path from 'node:path';

export const DEFAULT_DB_PATH = '~/Library/Messages/chat.db';

/** `~` expansion as NSString.expandingTildeInPath (no other normalisation). */
export function expandTilde(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}
