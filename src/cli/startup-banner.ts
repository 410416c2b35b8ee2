/**
 * The lines `start` prints once the gateway runs: where the dashboard is and how to look and stop.
 * The token travels in the URL's fragment, so the full URL is printed only to a terminal; into a
 * pipe or a file (a log) the URL goes without it, with where the token is kept.
 */

export interface BannerFacts {
  demo: boolean;
  accounts: number;
  /** The control API's base URL (no token), when it listens. */
  url?: string;
  /** The dashboard URL with the token in its fragment. */
  dashboardUrl?: string;
  /** The inspector bridge page with the token, when the relay runs. */
  inspectorUrl?: string;
  /** Why the dashboard is not there (disabled, or the port was taken). */
  noDashboard?: string;
  /** Where the token is kept (`<home>/control-token`). */
  tokenFile: string;
  /** stdout is a terminal: only then may the token be printed. */
  tty: boolean;
}

export function startupBanner(f: BannerFacts): string[] {
  const what = f.demo ? 'the demo' : 'imessage-gateway';
  const lines = [`${what} is running: ${f.accounts} account${f.accounts === 1 ? '' : 's'}`];
  if (f.url && f.dashboardUrl) {
    if (f.tty) {
      lines.push(`  dashboard  ${f.dashboardUrl}`);
      if (f.inspectorUrl) lines.push(`  inspector  ${f.inspectorUrl}`);
    } else {
      lines.push(`  dashboard  ${f.url}/  (add #token=<the token in ${f.tokenFile}>; it is printed only to a terminal)`);
      if (f.inspectorUrl) lines.push(`  inspector  ${withoutToken(f.inspectorUrl)}  (the same token)`);
    }
  } else {
    lines.push(`  dashboard  not available: ${f.noDashboard ?? 'gateway.http.enabled is false'}`);
  }
  lines.push('  status     imessage-gateway status', `  stop       ${f.demo || f.tty ? 'Ctrl-C' : 'SIGTERM'}`);
  return lines;
}

function withoutToken(url: string): string {
  return url.replace(/#.*$/, '');
}
