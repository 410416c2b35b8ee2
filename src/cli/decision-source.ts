/**
 * Where the CLI reads decisions about inbound messages from (issue 16 item 3, issue 14 item 8):
 * the running gateway's control API while a gateway holds the home's lock (`GET /api/flow`,
 * `GET /api/messages/:guid`), and the state database directly only when none runs. A running
 * gateway whose API does not answer is a GatewayUnreachableError naming the fix (control-client.ts).
 */
import type { FlowEntry } from '../store/index.js';
import { decisionView, type DecisionView } from '../supervisor/decision-view.js';
import { callGateway, errorOf } from './control-client.js';
import { readStateDb } from './state-db.js';

/** The account's most recent journalled messages, newest first, without message text. */
export async function recentDecisions(home: string, accountId: string, limit: number): Promise<FlowEntry[]> {
  const answer = await callGateway(home, 'GET', `/api/flow?account=${encodeURIComponent(accountId)}&limit=${limit}`);
  if (answer === undefined) return readStateDb(home, [], (store) => store.recentFlow({ accountId, limit }));
  if (answer.status !== 200) throw new Error(`the gateway refused the recent decisions of ${accountId}: ${errorOf(answer)}`);
  // The API adds message text when the dashboard shows it; the CLI never prints it.
  return (answer.body as { flow: FlowEntry[] }).flow.map(({ text: _text, ...entry }) => entry);
}

/** Every account's journal row for one message guid (empty: not journalled, or pruned). */
export async function messageDecisions(home: string, guid: string, account?: string): Promise<DecisionView[]> {
  const query = account ? `?account=${encodeURIComponent(account)}` : '';
  const answer = await callGateway(home, 'GET', `/api/messages/${encodeURIComponent(guid)}${query}`);
  if (answer === undefined) return readStateDb(home, [], (store) => store.inboundDecisions(guid, account).map(decisionView));
  if (answer.status === 404) return [];
  if (answer.status !== 200) throw new Error(`the gateway refused the decision about ${guid}: ${errorOf(answer)}`);
  return (answer.body as { decisions: DecisionView[] }).decisions;
}
