/**
 * Where `quarantine list` reads the set-aside inbound messages from (issue 14 item 8): the running
 * gateway's control API while a gateway holds the home's lock (`GET /api/quarantine`), and the
 * state database directly only when none runs. A running gateway whose API does not answer is a
 * GatewayUnreachableError naming the fix (control-client.ts).
 */
import { quarantineView, type QuarantineView } from '../supervisor/quarantine-view.js';
import { callGateway, errorOf } from './control-client.js';
import { ListingRefusedError } from './pairing-source.js';
import { readStateDb } from './state-db.js';

export interface QuarantineListing {
  rows: QuarantineView[];
  via: 'gateway' | 'state-db';
}

export async function quarantineListing(
  home: string,
  request: { account?: string; limit: number; payload: boolean },
): Promise<QuarantineListing> {
  const query = new URLSearchParams({
    ...(request.account ? { account: request.account } : {}),
    limit: String(request.limit),
    ...(request.payload ? { payload: '1' } : {}),
  });
  const answer = await callGateway(home, 'GET', `/api/quarantine?${query.toString()}`);
  if (answer !== undefined) {
    if (answer.status !== 200) throw new ListingRefusedError(`the gateway refused the quarantine list: ${errorOf(answer)}`);
    return { rows: (answer.body as { quarantine: QuarantineView[] }).quarantine, via: 'gateway' };
  }
  const rows = readStateDb(home, [], (store) => store.listQuarantine(request.account, request.limit).map((r) => quarantineView(r, request.payload)));
  return { rows, via: 'state-db' };
}
