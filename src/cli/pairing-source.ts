/**
 * Where `pairing list` reads the pairing requests and approved senders from (issue 14 item 8):
 * the running gateway's control API while a gateway holds the home's lock (`GET /api/pairing`,
 * `GET /api/pairing/approved`), and the state database directly only when none runs. A running
 * gateway whose API does not answer is a GatewayUnreachableError naming the fix (control-client.ts).
 */
import { PairingService, type PairingListEntry } from '../policy/pairing-service.js';
import type { ApprovedSenderRow } from '../store/index.js';
import { callGateway, errorOf } from './control-client.js';
import { readStateDb } from './state-db.js';

export interface PairingListing {
  requests: PairingListEntry[];
  approved: ApprovedSenderRow[];
  /** Who answered: the running gateway, or the state database of a stopped one. */
  via: 'gateway' | 'state-db';
}

/** The gateway refused the listing (an unknown account, a bad parameter): its message names the problem. */
export class ListingRefusedError extends Error {}

export async function pairingListing(home: string, account: string | undefined, now: number): Promise<PairingListing> {
  const query = account ? `?account=${encodeURIComponent(account)}` : '';
  const requests = await callGateway(home, 'GET', `/api/pairing${query}`);
  if (requests === undefined) return { ...fromStore(home, account, now), via: 'state-db' };
  if (requests.status !== 200) throw new ListingRefusedError(`the gateway refused the pairing list: ${errorOf(requests)}`);
  const approved = await callGateway(home, 'GET', `/api/pairing/approved${query}`);
  if (approved === undefined) return { ...fromStore(home, account, now), via: 'state-db' }; // it stopped in between
  if (approved.status !== 200) throw new ListingRefusedError(`the gateway refused the approved senders: ${errorOf(approved)}`);
  return {
    requests: requests.body as PairingListEntry[],
    approved: (approved.body as { approved: ApprovedSenderRow[] }).approved,
    via: 'gateway',
  };
}

/** A stopped gateway's state database; one that does not exist holds no requests (and is not created). */
function fromStore(home: string, account: string | undefined, now: number): Omit<PairingListing, 'via'> {
  return readStateDb(home, { requests: [], approved: [] }, (store) => {
    const service = new PairingService(store);
    return { requests: service.list(account, now), approved: service.approved(account) };
  });
}
