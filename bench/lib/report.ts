/** Scenario results: one row per figure, with its target and whether it is met. */

export type Status = 'met' | 'missed' | 'info' | 'not available' | 'failed';

export interface Row {
  scenario: number;
  metric: string;
  /** The figure, in `unit` (null when not measured). */
  value: number | null;
  unit: string;
  /** Human-readable target ('≥ 50% of scenario 1', '< 15 ms', '-' when the row is informational). */
  target: string;
  status: Status;
  /** For a missed target: by how much, in words ('by 12.3 ms', 'by 31 points'). */
  missedBy?: string;
  /** Why a figure is not available (a pending feature). */
  note?: string;
}

export interface ScenarioResult {
  scenario: number;
  name: string;
  rows: Row[];
  /** Everything else worth keeping (settings, raw counts, distributions). */
  details: Record<string, unknown>;
  /** Set when the scenario could not run to the end. */
  error?: string;
  ms: number;
}

export type Comparison = { op: '>=' | '<' | '<=' | '=='; limit: number };

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

export function formatValue(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  if (unit === 'events/s' || unit === 'msg/s' || unit === 'commits/s') return `${Math.round(value).toLocaleString('en-US')} ${unit}`;
  if (unit === '%') return `${fmt(value)}%`;
  if (unit === '') return Number.isInteger(value) ? String(value) : fmt(value);
  return `${fmt(value)} ${unit}`;
}

/** A row whose status follows from comparing value with a target. */
export function judged(scenario: number, metric: string, value: number | null, unit: string, cmp: Comparison, target: string): Row {
  const row: Row = { scenario, metric, value, unit, target, status: 'met' };
  if (value === null || !Number.isFinite(value)) {
    row.status = 'failed';
    return row;
  }
  const ok =
    cmp.op === '>=' ? value >= cmp.limit : cmp.op === '<' ? value < cmp.limit : cmp.op === '<=' ? value <= cmp.limit : value === cmp.limit;
  if (!ok) {
    row.status = 'missed';
    const gap = Math.abs(value - cmp.limit);
    row.missedBy = unit === '%' ? `${fmt(gap)} points` : formatValue(gap, unit);
    if (cmp.op === '>=' && cmp.limit > 0) row.missedBy += ` (reached ${fmt((value / cmp.limit) * 100)}% of the target)`;
    if ((cmp.op === '<' || cmp.op === '<=') && cmp.limit > 0) row.missedBy += ` (${fmt(value / cmp.limit)}× the target)`;
  }
  return row;
}

export function info(scenario: number, metric: string, value: number | null, unit: string): Row {
  return { scenario, metric, value, unit, target: '-', status: 'info' };
}

export function statusText(row: Row): string {
  if (row.status === 'missed') return `missed by ${row.missedBy ?? '?'}`;
  if (row.note) return `${row.status} (${row.note})`;
  return row.status;
}

export function printRow(row: Row): void {
  const target = row.target === '-' ? '' : `  target ${row.target}`;
  const status = row.status === 'info' ? '' : `  → ${statusText(row)}`;
  process.stdout.write(`    ${row.metric}: ${formatValue(row.value, row.unit)}${target}${status}\n`);
}
