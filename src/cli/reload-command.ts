/**
 * `imessage-gateway reload`: checks the running gateway's config file first (an invalid one is
 * reported here and the gateway is left alone), then asks the gateway to re-read it (SIGHUP) and
 * waits for its answer in the status file.
 */
import { loadConfigFile, resolveHome } from '../config/index.js';
import { lockOwner } from '../supervisor/gateway-lock.js';
import { readStatusFile } from '../supervisor/status-file.js';

export async function reloadCommand(out: (line: string) => void, timeoutMs = 15_000): Promise<number> {
  const home = resolveHome();
  const pid = lockOwner(home);
  const before = readStatusFile(home);
  if (pid === undefined || !before || before.pid !== pid) {
    out(`the gateway is not running (home ${home}); nothing to reload`);
    return 3;
  }
  if (!before.configPath) {
    out('the running gateway is the embedded demo: it has no config file to reload');
    return 1;
  }
  loadConfigFile(before.configPath); // throws ConfigError: the caller prints it, the gateway is untouched
  process.kill(pid, 'SIGHUP');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const now = readStatusFile(home);
    const reload = now?.lastReload;
    if (reload && reload.at !== before.lastReload?.at) {
      if (!reload.ok) {
        out(`reload rejected, the running config is kept: ${reload.error ?? ''}`);
        return 1;
      }
      const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');
      out(`reloaded ${before.configPath}: restarted ${list(reload.restarted)}; started ${list(reload.started)}; stopped ${list(reload.stopped)}`);
      if (reload.needsRestart?.length) {
        out(`not applied until the gateway restarts: ${reload.needsRestart.join(', ')} (stop it and start it again)`);
      }
      return 0;
    }
  }
  out(`sent SIGHUP to pid ${pid}, but it did not report a reload within ${timeoutMs / 1000} s; see its log`);
  return 1;
}
