/**
 * Secrets inside free text: the last output lines of an imsg child, an SSH wrapper or a command
 * agent go into error messages, and from there into the log, status.json, the dashboard and the
 * inspector. A bearer token, a 64-hex token (the gateway's own control token has that shape) and
 * `token=…` / `password: …` style assignments are masked. Paths, chat ids and handles stay: an
 * operator needs them to act on the error.
 */
export const REDACTED = '[redacted]';

const BEARER = /\bBearer\s+[^\s"';,)]+/gi;
const HEX64 = /\b[0-9a-f]{64}\b/gi;
const ASSIGNMENT = /\b((?:access[_-]?token|refresh[_-]?token|api[_-]?key|token|secret|password|passphrase))(\s*[=:]\s*)(?!\[redacted\])[^\s&;,)"']+/gi;

export function scrubSecrets(text: string): string {
  return text.replace(BEARER, `Bearer ${REDACTED}`).replace(HEX64, REDACTED).replace(ASSIGNMENT, `$1$2${REDACTED}`);
}
