/**
 * Pairing on the account detail: pending requests (approve, deny), senders turned away at the cap
 * (deny), denied ones (until when), and approved senders (revoke). Reads GET /api/pairing and
 * /api/pairing/approved; acts through POST /api/pairing/{approve,deny,revoke}.
 */
import type { Api } from './api.js';
import { button, el, fill } from './dom.js';
import { dateTime, time } from './format.js';
import type { Notify } from './notice.js';
import type { ApprovedAnswer, PairingListEntry } from './types.js';

type Entry = Pick<PairingListEntry, 'code' | 'handle' | 'state' | 'expired'> & { createdAt: number | string; expiresAt?: number };

/** GET /api/pairing answers the list itself (older gateways: `{ requests }`). */
function entries(answer: unknown): Entry[] {
  const list = Array.isArray(answer) ? answer : (answer as { requests?: unknown } | null)?.requests;
  if (!Array.isArray(list)) return [];
  return list
    .filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null)
    .map((r) => ({
      code: typeof r.code === 'string' ? r.code : null,
      handle: String(r.handle ?? r.sender ?? ''),
      state: (r.state as Entry['state'] | undefined) ?? 'pending',
      expired: r.expired === true,
      createdAt: (r.createdAt as number | string | undefined) ?? '',
      ...(typeof r.expiresAt === 'number' ? { expiresAt: r.expiresAt } : {}),
    }));
}

export class PairingPanel {
  readonly root: HTMLDivElement;
  /** The answers the panel shows (JSON), to leave it alone when a poll brings the same. */
  private shown: string | undefined;

  constructor(
    private readonly accountId: string,
    private readonly api: Api,
    private readonly notify: Notify,
  ) {
    this.root = el('div', { 'data-testid': `pairing-${accountId}` }, el('p', { class: 'muted', text: 'loading…' }));
  }

  /**
   * Reads the lists again (every 10 s while the detail is open, and after each action). Unchanged
   * answers leave the panel as it is, so a click whose mousedown and mouseup straddle a poll still
   * lands on the same button; `force` renders anyway (after an action: its button comes back).
   */
  async load(force = false): Promise<void> {
    const q = encodeURIComponent(this.accountId);
    try {
      const [requests, approved] = await Promise.all([this.api.get<unknown>(`/api/pairing?account=${q}`), this.api.get<ApprovedAnswer>(`/api/pairing/approved?account=${q}`)]);
      const list = entries(requests);
      const key = JSON.stringify([list, approved.approved]);
      if (!force && key === this.shown) return;
      this.shown = key;
      this.render(list, approved.approved);
    } catch (err) {
      this.shown = undefined;
      fill(this.root, el('p', { class: 'muted', text: `unavailable: ${(err as Error).message}` }));
    }
  }

  private render(list: Entry[], approved: ApprovedAnswer['approved']): void {
    const id = this.accountId;
    const pending = list.filter((r) => r.state === 'pending');
    const turnedAway = list.filter((r) => r.state === 'cap-dropped');
    const denied = list.filter((r) => r.state === 'denied');
    const act = (label: string, testid: string, path: string, body: Record<string, unknown>, done: string, cls?: string) =>
      button(label, testid, (b) => void this.act(b, path, body, done), cls);
    fill(
      this.root,
      el('h4', { text: `pending (${pending.length})` }),
      el(
        'ul',
        { class: 'items', 'data-testid': `pairing-pending-${id}` },
        ...pending.map((r) =>
          el(
            'li',
            { 'data-testid': `pairing-request-${id}-${r.code}` },
            el('code', { text: r.code ?? '' }),
            el('span', { text: r.handle }),
            el('span', { class: 'muted', text: time(r.createdAt) }),
            r.expired ? el('span', { class: 'muted', text: 'expired' }) : act('Approve', `approve-${id}-${r.code}`, '/api/pairing/approve', { code: r.code, account: id }, `approved ${r.handle} (code ${r.code}) on ${id}`),
            act('Deny', `deny-${id}-${r.code}`, '/api/pairing/deny', { target: r.code, account: id }, `denied ${r.handle} (code ${r.code}) on ${id}`, 'danger'),
          ),
        ),
        pending.length === 0 ? el('li', { class: 'muted', text: 'no pending requests' }) : null,
      ),
      turnedAway.length > 0 ? el('h4', { text: `turned away at the cap (${turnedAway.length})` }) : null,
      turnedAway.length > 0
        ? el(
            'ul',
            { class: 'items', 'data-testid': `pairing-turned-away-${id}` },
            ...turnedAway.map((r) =>
              el('li', {}, el('span', { text: r.handle }), el('span', { class: 'muted', text: time(r.createdAt) }), act('Deny', `deny-${id}-${r.handle}`, '/api/pairing/deny', { target: r.handle, account: id }, `denied ${r.handle} on ${id}`, 'danger')),
            ),
          )
        : null,
      denied.length > 0 ? el('h4', { text: `denied (${denied.length})` }) : null,
      denied.length > 0
        ? el('ul', { class: 'items', 'data-testid': `pairing-denied-${id}` }, ...denied.map((r) => el('li', { 'data-testid': `denied-${id}-${r.handle}` }, el('span', { text: r.handle }), el('span', { class: 'muted', text: r.expiresAt ? `until ${dateTime(r.expiresAt)}` : '' }))))
        : null,
      el('h4', { text: `approved senders (${approved.length})` }),
      el(
        'ul',
        { class: 'items', 'data-testid': `pairing-approved-${id}` },
        ...approved.map((a) =>
          el(
            'li',
            { 'data-testid': `approved-${id}-${a.sender}` },
            el('span', { text: a.sender }),
            el('span', { class: 'muted', text: `since ${dateTime(a.approvedAt)}` }),
            act('Revoke', `revoke-${id}-${a.sender}`, '/api/pairing/revoke', { handle: a.sender, account: id }, `revoked ${a.sender} on ${id}`, 'danger'),
          ),
        ),
        approved.length === 0 ? el('li', { class: 'muted', text: 'none' }) : null,
      ),
    );
  }

  private async act(b: HTMLButtonElement, path: string, body: Record<string, unknown>, done: string): Promise<void> {
    b.disabled = true;
    try {
      await this.api.post(path, body);
      this.notify(done, 'ok');
    } catch (err) {
      this.notify(`${b.textContent?.toLowerCase() ?? 'action'} failed: ${(err as Error).message}`, 'bad');
    }
    await this.load(true);
  }
}
