/**
 * The one rule for values that name an executable (imessage.cliPath, a command handler's argv[0]):
 * they are spawned without a shell, but must never look like something a shell would interpret.
 */

const SHELL_METACHARACTERS = /[;&|`$<>]/;
const QUOTES = /["']/;
const CONTROL = /[\r\n\0]/;
const BARE_NAME = /^[A-Za-z0-9._+-]+$/;

export function isPathLike(value: string): boolean {
  return value.includes('/') || value.startsWith('.') || value.startsWith('~');
}

/** Why the value is unsafe, or undefined when it is acceptable. */
export function unsafeExecutableReason(value: string): string | undefined {
  if (value.trim() === '') return 'must not be empty';
  if (CONTROL.test(value)) return 'must not contain a line break or NUL character';
  const meta = SHELL_METACHARACTERS.exec(value);
  if (meta) {
    return `must not contain the shell metacharacter ${JSON.stringify(meta[0])}; name a single executable (put arguments in a wrapper script)`;
  }
  if (QUOTES.test(value)) return 'must not contain quotes; a path with spaces needs no quoting';
  if (isPathLike(value)) return undefined;
  if (value.startsWith('-')) return 'must not start with "-"';
  if (!BARE_NAME.test(value)) {
    return 'a bare command name may only contain letters, digits, ".", "_", "+" and "-"; use a path (containing "/") for anything else';
  }
  return undefined;
}

export function isSafeExecutableValue(value: string): boolean {
  return unsafeExecutableReason(value) === undefined;
}
