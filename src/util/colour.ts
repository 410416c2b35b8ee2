/**
 * Whether output may carry colour: NO_COLOR (any non-empty value, https://no-color.org) turns it
 * off; FORCE_COLOR turns it on even off a terminal ("0" or "false" turns it off); otherwise colour
 * only on a TTY.
 */
export function useColour(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return isTTY;
}
