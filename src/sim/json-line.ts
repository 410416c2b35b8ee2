/**
 * Serialises one JSON value the way imsg's JSONSerialization does: one line, `/` escaped as
 * `\/`, non-ASCII left as raw UTF-8. `/` can only occur inside JSON strings, so a global
 * replace after JSON.stringify is exact.
 */
export function encodeJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('/') ? json.replace(/\//g, '\\/') : json;
}

/** encodeJson plus the trailing newline. */
export function encodeLine(value: unknown): string {
  return `${encodeJson(value)}\n`;
}
