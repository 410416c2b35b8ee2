import { describe, expect, it } from 'vitest';
import { startupBanner } from '../../src/cli/startup-banner.js';

const TOKEN = 'ab12cd34ef56ab12cd34ef56ab12cd34';
const base = {
  demo: true,
  accounts: 2,
  url: 'http://127.0.0.1:7545',
  dashboardUrl: `http://127.0.0.1:7545/#token=${TOKEN}`,
  tokenFile: '/home/u/.imessage-gateway/control-token',
};

describe('startupBanner', () => {
  it('on a terminal: the dashboard URL with its token', () => {
    const lines = startupBanner({ ...base, tty: true });
    expect(lines[0]).toBe('the demo is running: 2 accounts');
    expect(lines).toContain(`  dashboard  http://127.0.0.1:7545/#token=${TOKEN}`);
    expect(lines).toContain('  stop       Ctrl-C');
  });

  it('off a terminal: no token anywhere, and where to find it', () => {
    const lines = startupBanner({ ...base, demo: false, tty: false, inspectorUrl: `http://127.0.0.1:7546/#token=${TOKEN}` });
    const text = lines.join('\n');
    expect(text).not.toContain(TOKEN);
    expect(text).toContain('http://127.0.0.1:7545/  (add #token=<the token in /home/u/.imessage-gateway/control-token>');
    expect(text).toContain('inspector  http://127.0.0.1:7546/  (the same token)');
    expect(lines[0]).toBe('imessage-gateway is running: 2 accounts');
  });

  it('without a dashboard: says why', () => {
    const lines = startupBanner({ demo: false, accounts: 1, tokenFile: '/t', tty: true, noDashboard: 'port 7545 is taken' });
    expect(lines).toContain('  dashboard  not available: port 7545 is taken');
    expect(lines[0]).toBe('imessage-gateway is running: 1 account');
  });
});
