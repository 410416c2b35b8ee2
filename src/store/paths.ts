/** Where the state database lives: `<home>/state.db`. */
import { join } from 'node:path';

export const STATE_DB_FILE = 'state.db';

export function stateDbPath(home: string): string {
  return join(home, STATE_DB_FILE);
}
