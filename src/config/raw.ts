/** Defensive readers for not-yet-validated input (cross-key checks run even when zod found issues). */

export function isRecordLike(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function recordAt(value: unknown, key: string): Record<string, unknown> | undefined {
  if (!isRecordLike(value)) return undefined;
  const inner = value[key];
  return isRecordLike(inner) ? inner : undefined;
}

export function hasOwn(value: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(value, key) && value[key] !== undefined;
}
