/**
 * `service status`: whether the installed service actually runs, asked of the service manager:
 * `systemctl --user is-active <unit>` on Linux, `launchctl print gui/<uid>/<label>` on macOS.
 * Spawned without a shell, with a deadline; a missing tool is said so, not guessed around.
 */
import { spawnSync } from 'node:child_process';

export type Running =
  | { state: 'running'; detail: string }
  | { state: 'stopped'; detail: string }
  /** The manager could not be asked (tool missing, no user session bus, timeout). */
  | { state: 'unknown'; detail: string };

export interface ToolAnswer {
  /** undefined: the tool did not run (see `error`). */
  status: number | null;
  stdout: string;
  stderr: string;
  error?: NodeJS.ErrnoException;
}

const TOOL_TIMEOUT_MS = 5_000;

export function runTool(command: string, args: string[], env: NodeJS.ProcessEnv): ToolAnswer {
  const r = spawnSync(command, args, { env, encoding: 'utf8', timeout: TOOL_TIMEOUT_MS, shell: false, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ...(r.error ? { error: r.error as NodeJS.ErrnoException } : {}) };
}

function notRun(command: string, answer: ToolAnswer): Running | undefined {
  if (!answer.error) return undefined;
  if (answer.error.code === 'ENOENT') return { state: 'unknown', detail: `${command} is not installed (not found on PATH): cannot tell whether the service runs` };
  if (answer.error.code === 'ETIMEDOUT') return { state: 'unknown', detail: `${command} did not answer within ${TOOL_TIMEOUT_MS / 1000} s` };
  return { state: 'unknown', detail: `${command} could not be run: ${answer.error.message}` };
}

/** `systemctl --user is-active UNIT`: "active" (exit 0) runs; inactive, failed, activating… do not. */
export function systemdRunning(unit: string, answer: ToolAnswer): Running {
  const command = `systemctl --user is-active ${unit}`;
  const failed = notRun('systemctl', answer);
  if (failed) return failed;
  const word = answer.stdout.trim().split('\n')[0]?.trim() ?? '';
  if (answer.status === 0 && word === 'active') return { state: 'running', detail: `${command}: active` };
  if (['inactive', 'failed', 'activating', 'deactivating', 'reloading', 'unknown'].includes(word)) {
    return { state: 'stopped', detail: `${command}: ${word}` };
  }
  const why = (answer.stderr.trim() || answer.stdout.trim()).split('\n')[0] ?? '';
  return { state: 'unknown', detail: `${command} did not say (exit ${answer.status}${why ? `: ${why}` : ''})` };
}

/** `launchctl print gui/UID/LABEL`: loaded (exit 0) with `state = running` runs. */
export function launchdRunning(domainTarget: string, answer: ToolAnswer): Running {
  const command = `launchctl print ${domainTarget}`;
  const failed = notRun('launchctl', answer);
  if (failed) return failed;
  if (answer.status !== 0) {
    const why = (answer.stderr.trim() || answer.stdout.trim()).split('\n')[0] ?? '';
    return { state: 'stopped', detail: `${command}: not loaded (exit ${answer.status}${why ? `: ${why}` : ''})` };
  }
  const state = /^\s*state = (.+)$/m.exec(answer.stdout)?.[1]?.trim();
  const pid = /^\s*pid = (\d+)$/m.exec(answer.stdout)?.[1];
  if (state === 'running') return { state: 'running', detail: `${command}: state = running${pid ? `, pid ${pid}` : ''}` };
  return { state: 'stopped', detail: `${command}: loaded, state = ${state ?? 'not reported'}` };
}
