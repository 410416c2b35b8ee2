/** The recent-log panel: the gateway's last log records (info and above, no message text), newest first. */
import { el, fill } from './dom.js';
import { time } from './format.js';
import type { LogRecord } from './types.js';

export function renderLog(root: HTMLElement, records: readonly LogRecord[], scope: string | null): void {
  const shown = records.filter((r) => scope === null || r.account === undefined || r.account === scope).slice(-200).reverse();
  fill(
    root,
    ...shown.map((r) => {
      const fields = Object.entries(r.fields)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      return el(
        'li',
        { class: `lvl-${r.level}`, 'data-testid': 'log-record', 'data-level': r.level },
        `${time(r.time)} ${r.level.toUpperCase()} `,
        r.account ? `[${r.account}] ` : '',
        r.msg,
        fields ? el('span', { class: 'muted', text: ` ${fields}` }) : null,
      );
    }),
    shown.length === 0 ? el('li', { class: 'muted', text: 'no log records yet' }) : null,
  );
}
