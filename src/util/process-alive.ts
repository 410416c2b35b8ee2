/**
 * Whether a process is still running. `kill(pid, 0)` alone also answers yes for a zombie: a
 * process that has exited but that nobody has reaped yet, as happens to an orphan under an init
 * that does not reap (some containers and VMs). On Linux the state letter in /proc/PID/stat tells
 * the two apart; elsewhere the signal test is all there is.
 */
import { existsSync, readFileSync } from 'node:fs';

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists and belongs to someone else.
    if ((err as { code?: string }).code !== 'EPERM') return false;
  }
  return !exitedUnreaped(pid);
}

function exitedUnreaped(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    // Gone between the two looks (when there is a /proc at all); no /proc (macOS): the signal test stands.
    return (err as { code?: string }).code === 'ENOENT' && existsSync('/proc/self/stat');
  }
  // "pid (comm) S ...": comm may hold spaces and parentheses, so the state follows the last ')'.
  const close = stat.lastIndexOf(')');
  return stat.charAt(close + 2) === 'Z';
}
