/** The fleet overview: one compact row per account, trouble first; a row opens the account's detail. */
import { el, fill, syncRows } from './dom.js';
import { ago } from './format.js';
import { inTrouble, lagOf, sortForOverview } from './overview-sort.js';
import type { AccountStatus } from './types.js';

export interface OverviewOptions {
  select(accountId: string): void;
}

function stateCell(a: AccountStatus, offline: boolean): HTMLTableCellElement {
  const state = offline ? 'unknown' : a.state;
  return el(
    'td',
    {},
    el('span', { class: `badge state-${state}`, 'data-testid': `row-state-${a.id}`, text: offline ? `${a.state}?` : a.state, title: offline ? 'last known state: the gateway is not reachable' : undefined }),
    a.health === 'degraded' ? ' ' : null,
    a.health === 'degraded' ? el('span', { class: 'badge degraded', 'data-testid': `row-health-${a.id}`, text: 'degraded', title: a.degradedReasons.map((r) => r.message).join('\n') }) : null,
  );
}

function imsgText(a: AccountStatus): string {
  if (!a.imsg) return '—';
  return `${a.imsg.version ?? 'legacy'}${a.imsg.protocol === 'legacy' && a.imsg.version ? ' (legacy)' : ''}`;
}

function errorCell(a: AccountStatus): HTMLTableCellElement {
  if (!a.lastError) return el('td', { class: 'err muted', 'data-testid': `row-error-${a.id}`, text: '—' });
  return el(
    'td',
    { class: 'err', 'data-testid': `row-error-${a.id}` },
    el('span', { class: 'clip', title: a.lastError, text: a.lastError }),
    a.remediation ? el('span', { class: 'clip fix', 'data-testid': `row-fix-${a.id}`, title: a.remediation, text: `fix: ${a.remediation}` }) : null,
  );
}

export function renderOverview(root: HTMLElement, accounts: readonly AccountStatus[], selected: string | null, offline: boolean, options: OverviewOptions): void {
  const now = Date.now();
  // A focused row that moves (a new order) loses the focus: it is given back below.
  const focused = document.activeElement instanceof HTMLElement && root.contains(document.activeElement) ? document.activeElement.getAttribute('data-account') : null;
  const sorted = sortForOverview(accounts);
  const trouble = sorted.filter(inTrouble).length;
  const summaryText = `${accounts.length} account${accounts.length === 1 ? '' : 's'} · ${trouble} in trouble`;
  if (accounts.length === 0) {
    fill(root, el('div', { class: 'summary', 'data-testid': 'overview-summary', text: summaryText }), el('p', { class: 'summary', text: 'no accounts configured' }));
    return;
  }
  // The page updates in place: rows are kept by account, so a click or the keyboard focus is not lost
  // to a status that arrives meanwhile (it arrives several times a second while accounts are probed).
  let summary = root.querySelector<HTMLElement>(':scope > [data-testid="overview-summary"]');
  let body = root.querySelector<HTMLTableSectionElement>(':scope > table[data-testid="fleet"] > tbody');
  if (!summary || !body) {
    summary = el('div', { class: 'summary', 'data-testid': 'overview-summary' });
    body = el('tbody');
    const head = el(
      'thead',
      {},
      el('tr', {}, ...['account', 'state', 'since', 'imsg', 'lag', 'outbox', 'failed / unknown', 'last error and fix'].map((h, i) => el('th', { class: i === 2 || i === 3 ? 'opt' : undefined, text: h }))),
    );
    fill(root, summary, el('table', { class: 'fleet', 'data-testid': 'fleet' }, head, body));
  }
  if (summary.textContent !== summaryText) summary.textContent = summaryText;
  const accountOf = (row: HTMLTableRowElement) => row.getAttribute('data-account') ?? '';
  syncRows(
    body,
    sorted.map((a) => buildRow(a, selected, offline, now)),
    accountOf,
    (row) => wireRow(row, accountOf(row), options),
  );
  refocus(root, focused);
}

function refocus(root: HTMLElement, account: string | null): void {
  if (account === null) return;
  const row = root.querySelector<HTMLElement>(`tr[data-account="${CSS.escape(account)}"]`);
  if (row && document.activeElement !== row) row.focus();
}

function wireRow(row: HTMLTableRowElement, id: string, options: OverviewOptions): void {
  // The options are the same at every render (they set the location hash): wired once per row.
  row.addEventListener('click', () => options.select(id));
  row.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      options.select(id);
    }
  });
}

function buildRow(a: AccountStatus, selected: string | null, offline: boolean, now: number): HTMLTableRowElement {
  const lag = lagOf(a);
  return el(
    'tr',
    {
      class: `account-row${inTrouble(a) ? ' trouble' : ''}${a.id === selected ? ' selected' : ''}`,
      'data-testid': `row-${a.id}`,
      'data-account': a.id,
      'data-state': a.state,
      'data-trouble': inTrouble(a) ? 'true' : 'false',
      tabindex: 0,
      'aria-selected': a.id === selected ? 'true' : 'false',
    },
    el('td', { class: 'name' }, a.name ? `${a.name} ` : '', a.name ? el('span', { class: 'muted', text: `(${a.id})` }) : a.id),
    stateCell(a, offline),
    el('td', { class: 'opt', title: a.since, text: ago(a.since, now) }),
    el('td', { class: 'opt', 'data-testid': `row-imsg-${a.id}`, text: imsgText(a) }),
    el('td', { 'data-testid': `row-lag-${a.id}`, text: lag === null ? '—' : `behind by ${lag}` }),
    el('td', { 'data-testid': `row-outbox-${a.id}`, text: a.outbox.depth < 0 ? '?' : a.outbox.depth }),
    el('td', { 'data-testid': `row-failed-${a.id}`, class: a.outbox.failed > 0 || a.outbox.unknown > 0 ? 'err' : undefined, text: `${Math.max(a.outbox.failed, 0)} / ${Math.max(a.outbox.unknown, 0)}` }),
    errorCell(a),
  );
}
