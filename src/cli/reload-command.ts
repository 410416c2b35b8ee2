/**
 * `imessage-gateway reload`: asks the running gateway to re-read its config through the control
 * API (`POST /api/reload`) and prints its answer: the accounts restarted, started and stopped, and
 * the `gateway.*` settings that apply only at the next start. An invalid config is refused by the
 * gateway, which keeps running on the old one. (SIGHUP still reloads, for operators and service
 * managers; the CLI does not use it.)
 * Exit codes: 0 reloaded, 1 refused (or no config file: the demo), 3 no gateway running.
 */
import { resolveHome } from '../config/index.js';
import type { ReloadAnswer } from '../supervisor/control-backend.js';
import { callGateway, errorOf } from './control-client.js';

export async function reloadCommand(out: (line: string) => void, err: (line: string) => void = out): Promise<number> {
  const home = resolveHome();
  const live = await callGateway(home, 'POST', '/api/reload', undefined, 60_000);
  if (!live) {
    out(`the gateway is not running (home ${home}); nothing to reload`);
    return 3;
  }
  const answer = live.body as Partial<ReloadAnswer> | undefined;
  if (live.status === 422 && answer?.ok === false) {
    err(
      answer.error === 'the demo has no config file'
        ? 'the running gateway is the embedded demo: it has no config file to reload'
        : `reload rejected, the running config is kept:\n${answer.error ?? ''}`,
    );
    return 1;
  }
  if (live.status !== 200 || answer?.ok !== true) {
    err(`reload failed: ${errorOf(live)}`);
    return 1;
  }
  const list = (xs: string[] | undefined) => (xs && xs.length ? xs.join(', ') : 'none');
  out(`reloaded: restarted ${list(answer.restarted)}; started ${list(answer.started)}; stopped ${list(answer.stopped)}`);
  if (answer.needsRestart?.length) {
    out(`not applied until the gateway restarts: ${answer.needsRestart.join(', ')} (stop it and start it again)`);
  }
  return 0;
}
