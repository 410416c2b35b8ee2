/** Lenient parameter coercion, as imsg's RPCPayloads helpers (protocol section 2). */
export type Params = Record<string, unknown>;

export function stringParam(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function intParam(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const t = v.trim();
    if (!/^[+-]?\d+$/.test(t)) return undefined;
    const n = Number(t);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

export function boolParam(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

export function stringArrayParam(v: unknown): string[] {
  if (Array.isArray(v)) {
    const out: string[] = [];
    for (const item of v) {
      if (typeof item === 'string') out.push(item);
      else if (typeof item === 'number' && Number.isFinite(item)) out.push(String(item));
      else return [];
    }
    return out;
  }
  if (typeof v === 'string') {
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
  return [];
}

/** `debounce_ms` (alias `debounceMs`): absent gives the default; otherwise a non-negative integer. */
export function debounceParam(params: Params, fallback: number): number | 'invalid' {
  const raw = params['debounce_ms'] ?? params['debounceMs'];
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw === 'number') return Number.isInteger(raw) && raw >= 0 ? raw : 'invalid';
  if (typeof raw === 'string' && /^\s*\d+\s*$/.test(raw)) return Number(raw);
  return 'invalid';
}
