/** The Full Disk Access banner of imsg's IMsgError.permissionDenied (protocol section 1.5). */
export const SQLITE_OPEN_TEXT = 'unable to open database file (code: 14)';

export function permissionBanner(dbPath: string): string {
  return [
    SQLITE_OPEN_TEXT,
    '',
    '⚠️  Permission Error: Cannot access Messages database',
    '',
    `The Messages database at ${dbPath} requires Full Disk Access permission.`,
    '',
    'To fix:',
    '1. Open System Settings → Privacy & Security → Full Disk Access',
    '2. Add your terminal application and any parent launcher (VS Code, Node, gateway, etc.)',
    '3. Also add the built-in Terminal.app if you normally use another terminal',
    '4. Toggle stale entries off and on after terminal/Homebrew/app updates',
    '5. Restart the terminal or parent app, then try again',
    '',
    'Note: This is required because macOS protects the Messages database.',
    'For more details, see: https://github.com/steipete/imsg#permissions-troubleshooting',
  ].join('\n');
}

/** The 0.3.0-0.6.0 form: Swift's default enum dump on one line. */
export function permissionDump(dbPath: string): string {
  return `permissionDenied(path: ${JSON.stringify(dbPath)}, underlying: ${SQLITE_OPEN_TEXT})`;
}
