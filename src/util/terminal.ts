/**
 * Whether the process still has its terminal. SIGHUP means "reload the config" (docs/supervision.md),
 * and it is also what the kernel sends when the terminal that started the gateway is closed; by then
 * the process has lost its controlling terminal, so /dev/tty no longer opens. A gateway started
 * without a terminal (a service, setsid) or under nohup keeps treating SIGHUP as a reload.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';

export function hasControllingTerminal(): boolean {
  try {
    closeSync(openSync('/dev/tty', 'r'));
    return true;
  } catch {
    return false;
  }
}

/** Linux: whether SIGHUP was ignored when the process started (nohup); false where /proc cannot say. */
export function sighupIgnoredAtStart(procStatus = '/proc/self/status'): boolean {
  try {
    const line = readFileSync(procStatus, 'utf8').split('\n').find((l) => l.startsWith('SigIgn:'));
    if (!line) return false;
    return (BigInt(`0x${line.slice('SigIgn:'.length).trim()}`) & 1n) === 1n; // SIGHUP is signal 1: bit 0
  } catch {
    return false;
  }
}

export interface HangupFacts {
  /** The process had a controlling terminal at start. */
  hadTerminal: boolean;
  /** It still has one now, as the SIGHUP arrives. */
  hasTerminal: boolean;
  /** SIGHUP was ignored at start (nohup: the operator asked to outlive the terminal). */
  nohup: boolean;
}

/** What a SIGHUP means: the terminal that owns the gateway went away (stop), or a reload. */
export function hangupMeaning(f: HangupFacts): 'terminal-closed' | 'reload' {
  return f.hadTerminal && !f.hasTerminal && !f.nohup ? 'terminal-closed' : 'reload';
}
