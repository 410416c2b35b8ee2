/**
 * The control token: from the URL fragment (`#token=…`, never sent to a server), kept in this tab's
 * sessionStorage so a reload works, and removed from the address bar once read.
 */
const TOKEN_KEY = 'imessage-gateway-control-token';

export function readToken(): string | null {
  const match = /(?:^#|&)token=([0-9a-fA-F]{16,})/.exec(location.hash);
  if (match?.[1]) {
    try {
      sessionStorage.setItem(TOKEN_KEY, match[1]);
    } catch {
      // storage may be off: the token lives in this page only
    }
    // Only the token leaves the address bar: `#token=…&account=bot` keeps `#account=bot`.
    const rest = location.hash
      .replace(/^#/, '')
      .split('&')
      .filter((part) => part !== '' && !part.startsWith('token='))
      .join('&');
    history.replaceState(null, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
    return match[1];
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** What to tell an operator whose page has no token or a rejected one. */
export function tokenHelp(problem: 'missing' | 'rejected'): string {
  const origin = `${location.protocol}//${location.host}`;
  const start = problem === 'missing' ? 'This page needs the control token.' : 'The gateway rejected this page’s token (it changed, or the URL was cut).';
  return (
    `${start} Open the dashboard URL that \`imessage-gateway start\` prints on its terminal (it ends in #token=…), ` +
    `or build it on the gateway's host: echo "${origin}/#token=$(cat ~/.imessage-gateway/control-token)" ` +
    '(the token file is <home>/control-token).'
  );
}
