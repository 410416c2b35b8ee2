/** Dead letters of one account (GET /api/delivery): failed and unknown sends, failed agent turns, with retry and discard. */
import type { Api } from './api.js';
import { button, el, fill } from './dom.js';
import { time } from './format.js';
import type { Notify } from './notice.js';
import type { DeliveryView } from './types.js';

export class DeadLettersPanel {
  readonly root: HTMLDivElement;
  /** The answer the panel shows (JSON), to leave it alone when a poll brings the same. */
  private shown: string | undefined;

  constructor(
    private readonly accountId: string,
    private readonly api: Api,
    private readonly notify: Notify,
  ) {
    this.root = el('div', { 'data-testid': `dead-letters-${accountId}` }, el('p', { class: 'muted', text: 'loading…' }));
  }

  /**
   * Reads the list again (every 10 s while the detail is open, and after each action). An unchanged
   * answer leaves the panel as it is, so a click whose mousedown and mouseup straddle a poll still
   * lands on the same button; `force` renders anyway (after an action: its button comes back).
   */
  async load(force = false): Promise<void> {
    try {
      const answer = await this.api.get<{ deadLetters: DeliveryView[] }>(`/api/delivery?account=${encodeURIComponent(this.accountId)}&limit=50`);
      const key = JSON.stringify(answer.deadLetters);
      if (!force && key === this.shown) return;
      this.shown = key;
      this.render(answer.deadLetters);
    } catch (err) {
      this.shown = undefined;
      fill(this.root, el('p', { class: 'muted', text: `unavailable: ${(err as Error).message}` }));
    }
  }

  private render(list: DeliveryView[]): void {
    fill(
      this.root,
      list.length === 0
        ? el('p', { class: 'muted', text: 'none' })
        : el(
            'ul',
            { class: 'items' },
            ...list.map((d) =>
              el(
                'li',
                { 'data-testid': `dead-letter-${d.id}`, 'data-status': d.status },
                el('code', { text: d.id }),
                el('span', { class: 'badge state-failed', text: d.status }),
                el('span', { text: `${d.kind === 'turn' ? 'agent turn' : 'send'} to ${d.to ?? d.chat}: ${d.reason}` }),
                el('span', { class: 'muted', text: `${d.attempts} attempts · ${time(d.deadAt)}` }),
                d.note ? el('span', { class: 'muted', text: d.note }) : null,
                button('Retry', `retry-dead-${d.id}`, (b) => void this.act(b, '/api/delivery/retry', d, 'queued again')),
                button('Discard', `discard-dead-${d.id}`, (b) => void this.act(b, '/api/delivery/discard', d, 'discarded'), 'danger'),
              ),
            ),
          ),
    );
  }

  private async act(b: HTMLButtonElement, path: string, d: DeliveryView, done: string): Promise<void> {
    // An unknown send may already have been delivered: acting on it needs the operator's word.
    const force = d.status === 'unknown';
    if (force && !window.confirm(`${d.id}: its outcome is unknown, it may already have been delivered. ${done === 'discarded' ? 'Discard' : 'Send again'} anyway?`)) return;
    b.disabled = true;
    try {
      await this.api.post(path, { id: d.id, ...(force ? { force: true } : {}) });
      this.notify(`${d.id} ${done}`, 'ok');
    } catch (err) {
      this.notify(`${d.id}: ${(err as Error).message}`, 'bad');
    }
    await this.load(true);
  }
}
