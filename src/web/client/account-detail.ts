/**
 * One account in full: state and since, the machine diagram with the active state and substate,
 * counters, the last error with its fix, recent transitions with reasons, and the pairing and
 * dead-letter panels (which load their own data).
 */
import type { Api } from './api.js';
import { buildDiagram, type Diagram } from './diagram.js';
import { button, el, fill } from './dom.js';
import { dateTime, time } from './format.js';
import type { Notify } from './notice.js';
import { PairingPanel } from './pairing-panel.js';
import { DeadLettersPanel } from './dead-letters-panel.js';
import type { AccountStatus, MachineLayout } from './types.js';

const RETRYABLE = new Set(['awaiting-permissions', 'misconfigured', 'backoff-restart', 'cooling-down']);
const NOTABLE_METHODS = ['messages.after', 'send.tracked', 'message.send_status', 'typing', 'read'];
const COUNTERS: Array<[keyof AccountStatus['counters'], string]> = [
  ['received', 'received'], ['accepted', 'accepted'], ['dispatched', 'dispatched'], ['sent', 'sent'], ['queued', 'queued'],
  ['sendFailed', 'failed'], ['sendUnknown', 'unknown outcome'], ['sendAmbiguous', 'ambiguous files'], ['agentErrors', 'agent errors'],
  ['spawns', 'spawns'], ['garbageLines', 'garbage lines'], ['malformed', 'malformed'], ['unknownInput', 'unknown input'], ['quarantined', 'quarantined'], ['inboundHolds', 'reading held'],
];

/** The diagram's view: fitted to the width (default) or at 100%. */
let diagramFitted = true;

export class AccountDetail {
  readonly root: HTMLElement;
  private readonly title = el('h2');
  private readonly badge: HTMLSpanElement;
  private readonly retry: HTMLButtonElement;
  private readonly meta: HTMLParagraphElement;
  private readonly reason: HTMLParagraphElement;
  private readonly health: HTMLDivElement;
  private readonly diagramBox: HTMLDivElement;
  private readonly anyState = el('p', { class: 'any-edges' });
  private readonly counters: HTMLDListElement;
  private readonly error: HTMLDivElement;
  private readonly transitions: HTMLOListElement;
  private readonly pairing: PairingPanel;
  private readonly deadLetters: DeadLettersPanel;
  private diagram: Diagram | undefined;
  private readonly fitToggle: HTMLButtonElement;
  private scrolledTo: string | undefined;

  constructor(
    readonly id: string,
    private readonly api: Api,
    private readonly notify: Notify,
    /** The diagram's layout, or why there is none yet: the gateway is still laying it out, or it failed. */
    layout: MachineLayout | 'loading' | 'unavailable',
  ) {
    this.badge = el('span', { class: 'badge', 'data-testid': `current-state-${id}` });
    this.retry = button('Retry now', `retry-${id}`, (b) => void this.requestRetry(b));
    this.meta = el('p', { class: 'meta', 'data-testid': `meta-${id}` });
    this.reason = el('p', { class: 'reason', 'data-testid': `reason-${id}` });
    this.health = el('div', { class: 'health', 'data-testid': `health-${id}` });
    this.diagramBox = el('div', { class: 'diagram', 'data-testid': `diagram-${id}` });
    this.fitToggle = button('', `diagram-fit-${id}`, () => {
      diagramFitted = !diagramFitted;
      this.applyFit();
    });
    this.fitToggle.hidden = typeof layout === 'string';
    this.applyFit();
    this.counters = el('dl', { class: 'counters', 'data-testid': `counters-${id}` });
    this.error = el('div', { 'data-testid': `last-error-${id}` });
    this.transitions = el('ol', { class: 'transitions', 'data-testid': `transitions-${id}` });
    this.pairing = new PairingPanel(id, api, notify);
    this.deadLetters = new DeadLettersPanel(id, api, notify);
    if (typeof layout !== 'string') {
      this.diagram = buildDiagram(id, layout, `arrow-${id.replace(/[^a-z0-9_-]/gi, '_')}`);
      this.diagramBox.appendChild(this.diagram.root);
      if (layout.anyState.length > 0) this.anyState.textContent = `from any state: ${layout.anyState.map((e) => `${e.label} → ${e.to}`).join(', ')}`;
    } else {
      this.diagramBox.appendChild(
        el('p', { class: 'muted', 'data-testid': `diagram-${id}-${layout}`, text: layout === 'loading' ? 'laying out the diagram…' : 'diagram unavailable' }),
      );
    }
    this.root = el(
      'article',
      { class: 'detail-body', 'data-testid': `account-${id}` },
      el('div', { class: 'panel' }, el('header', { class: 'detail-head' }, button('← all accounts', 'back', () => (location.hash = '')), this.title, this.badge, this.retry), this.meta, this.reason, this.health),
      el('div', { class: 'panel' }, el('div', { class: 'panel-head' }, el('h3', { text: 'State machine' }), this.fitToggle), this.diagramBox, this.anyState),
      el(
        'div',
        { class: 'detail-panels' },
        el('div', { class: 'panel' }, el('h3', { text: 'Counters' }), this.counters),
        el('div', { class: 'panel' }, el('h3', { text: 'Last error' }), this.error),
        el('div', { class: 'panel' }, el('h3', { text: 'Pairing' }), this.pairing.root),
        el('div', { class: 'panel' }, el('h3', { text: 'Dead letters' }), this.deadLetters.root),
        el('div', { class: 'panel wide' }, el('h3', { text: 'Recent transitions' }), this.transitions),
      ),
    );
  }

  /** Fit to the detail's width (the default) or 100% scale; the choice holds for every account until the page reloads. */
  private applyFit(): void {
    this.diagramBox.classList.toggle('fit', diagramFitted);
    this.diagramBox.setAttribute('data-fit', String(diagramFitted));
    this.fitToggle.textContent = diagramFitted ? 'Show at 100%' : 'Fit to width';
    this.fitToggle.title = diagramFitted ? 'draw the diagram at full size (it scrolls)' : 'shrink the diagram to the width of the page';
    this.scrollToState();
  }

  /** Brings the current state into view (the diagram scrolls inside its box at 100%, and fitted on a narrow screen). */
  private scrollToState(): void {
    const current = this.diagram?.root.querySelector<SVGGElement>('g.node.current');
    if (!current) return;
    const boxRect = this.diagramBox.getBoundingClientRect();
    const rect = current.getBoundingClientRect();
    this.diagramBox.scrollLeft = Math.max(0, this.diagramBox.scrollLeft + rect.left - boxRect.left - 60);
    this.diagramBox.scrollTop = Math.max(0, this.diagramBox.scrollTop + rect.top - boxRect.top - 60);
  }

  /** Loads the panels that have their own data (pairing, dead letters). */
  refreshPanels(): void {
    void this.pairing.load();
    void this.deadLetters.load();
  }

  render(a: AccountStatus, offline: boolean): void {
    this.root.setAttribute('data-state', a.state);
    this.root.setAttribute('data-health', a.health);
    this.title.textContent = a.name ? `${a.name} (${a.id})` : a.id;
    this.badge.textContent = offline ? `${a.state} (last known)` : a.state;
    this.badge.className = `badge state-${offline ? 'unknown' : a.state}`;
    this.retry.hidden = !RETRYABLE.has(a.state);
    const imsg = a.imsg;
    const methods = imsg?.methods ? NOTABLE_METHODS.filter((m) => imsg.methods!.includes(m)) : null;
    this.meta.textContent = [
      `since ${dateTime(a.since)}`,
      a.statePath ? `in ${a.statePath}` : null,
      a.childPid ? `imsg pid ${a.childPid}` : null,
      imsg ? `imsg ${imsg.version ?? 'legacy'} (${imsg.protocol}${imsg.databaseReady === false ? ', database unavailable' : ''}${imsg.fallback ? ', legacy fallback: it rejected status' : ''})` : null,
      methods && imsg?.methods ? `capabilities: ${methods.length ? methods.join(', ') : 'basic'} (${imsg.methods.length} methods)` : null,
      `restarts ${a.restarts}`,
      a.attempt ? `attempt ${a.attempt}` : null,
      a.nextRetryAt ? `next retry ${time(a.nextRetryAt)}` : null,
      a.agentId ? `agent ${a.agentId}` : null,
      a.enabled ? null : 'disabled',
    ]
      .filter((x) => x !== null)
      .join(' · ');
    this.reason.textContent = a.reason ? `reason: ${a.reason}` : '';
    fill(
      this.health,
      a.health === 'degraded' ? el('span', { class: 'badge degraded', 'data-testid': `health-badge-${a.id}`, text: 'degraded' }) : null,
      a.health === 'degraded'
        ? el('ul', { class: 'degraded-reasons' }, ...a.degradedReasons.map((r, i) => el('li', { 'data-testid': `degraded-reason-${a.id}-${i}`, 'data-code': r.code, text: r.message })))
        : null,
    );
    const box = this.diagram?.mark(a) ?? null;
    if (box && this.scrolledTo !== box.id) {
      this.scrolledTo = box.id;
      this.scrollToState();
    }
    this.renderCounters(a);
    fill(
      this.error,
      ...(a.lastError
        ? [
            el('p', { class: 'error-message', 'data-testid': `error-message-${a.id}`, text: a.lastError }),
            el('p', { class: 'muted', text: `${a.lastErrorClass ? `class ${a.lastErrorClass} · ` : ''}${dateTime(a.lastErrorAt)}` }),
            a.remediation ? el('p', { class: 'remediation', 'data-testid': `remediation-${a.id}`, text: a.remediation }) : null,
          ]
        : [el('p', { class: 'muted', text: 'no error' })]),
    );
    const recent = [...a.transitions].reverse();
    fill(
      this.transitions,
      ...recent.map((t, i) =>
        el('li', { 'data-testid': `transition-${a.id}-${i}` }, el('time', { datetime: t.at, text: time(t.at) }), el('span', { class: 'move', text: `${t.from} → ${t.to}` }), el('span', { text: t.reason })),
      ),
      recent.length === 0 ? el('li', { class: 'muted', text: 'none yet' }) : null,
    );
  }

  private renderCounters(a: AccountStatus): void {
    const rows: Array<[string, string, string | number]> = COUNTERS.map(([key, label]) => [`counter-${a.id}-${key}`, label, a.counters[key] as number]);
    rows.push([`counter-${a.id}-restarts`, 'restarts', a.restarts]);
    const dropped = Object.entries(a.counters.dropped).sort(([x], [y]) => x.localeCompare(y));
    rows.push([`counter-${a.id}-dropped`, 'dropped', dropped.length ? dropped.map(([r, n]) => `${r}: ${n}`).join(', ') : '0']);
    rows.push([`journal-lag-${a.id}`, 'journal lag', a.journalLag]);
    rows.push([`outbox-depth-${a.id}`, 'outbox depth', a.outbox.depth]);
    rows.push([`outbox-failed-${a.id}`, 'outbox failed / unknown', `${a.outbox.failed} / ${a.outbox.unknown}`]);
    if (a.outbox.oldestQueuedAt) rows.push([`outbox-oldest-${a.id}`, 'oldest queued', dateTime(a.outbox.oldestQueuedAt)]);
    if (a.pausedChats.length) rows.push([`paused-${a.id}`, 'paused chats', a.pausedChats.join(', ')]);
    if (a.generation) {
      rows.push([`generation-${a.id}`, 'chat.db generation', `${a.generation.number} since ${dateTime(a.generation.since)}${a.generation.number > 1 ? ` (${a.generation.reason})` : ''} · cursor ${a.cursor ?? '—'}`]);
    }
    const cu = a.catchUp;
    if (cu) {
      rows.push([
        `catch-up-${a.id}`,
        cu.active ? 'catching up' : 'last catch-up',
        cu.active
          ? `behind by ${cu.behindBy ?? '?'} rows · ${cu.rowsPerSecond ?? '—'} rows/s · ${cu.rows} done`
          : `${cu.rows} rows in ${cu.pages} pages, ${cu.elapsedMs} ms${cu.stoppedBy && cu.stoppedBy !== 'caught-up' ? ` (${cu.stoppedBy})` : ''}`,
      ]);
    }
    fill(this.counters, ...rows.flatMap(([testid, label, value]) => [el('dt', { text: label }), el('dd', { 'data-testid': testid, text: value })]));
  }

  private async requestRetry(b: HTMLButtonElement): Promise<void> {
    b.disabled = true;
    try {
      await this.api.post(`/api/accounts/${encodeURIComponent(this.id)}/retry`);
      this.notify(`retry requested for ${this.id}`, 'ok');
    } catch (err) {
      this.notify(`retry failed: ${(err as Error).message}`, 'bad');
    } finally {
      b.disabled = false;
    }
  }
}
