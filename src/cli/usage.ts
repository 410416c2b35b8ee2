/**
 * The one table of the command line's usage: `help`, `help <command>`, `<command> --help` and the
 * usage shown after a usage error are all printed from it.
 */
import { distance } from 'fastest-levenshtein';

export interface CommandUsage {
  name: string;
  /** One line each, without the leading `imessage-gateway `. */
  synopsis: string[];
  /** What it does, and its exit codes where they are not just 0 and 1. */
  summary: string[];
}

export const COMMANDS: readonly CommandUsage[] = [
  {
    name: 'start',
    synopsis: ['start [--config FILE] [--demo] [--port N] [--reset-state]'],
    summary: [
      'run the gateway (--demo: the embedded demo when no --config;',
      '--port N: the control API and dashboard port, over gateway.http.port (0: any free port);',
      '--reset-state: accept a missing or empty state.db in a home that held one,',
      'starting a fresh store; exit 78 without it, 69 when another gateway runs with this home)',
    ],
  },
  {
    name: 'demo',
    synopsis: ['demo [--port N]'],
    summary: ['run the embedded demo (simulated accounts); its default port 7545, when taken, falls back to a free one'],
  },
  {
    name: 'status',
    synopsis: ['status [ACCOUNT] [--json]', 'status [ACCOUNT] --message GUID [--json]'],
    summary: [
      'a one-line summary, then each account\'s state and health, last error, restarts, next retry',
      '(ACCOUNT: that account only, with its recent decisions and the policy rules that fired;',
      'exit 0: running and healthy, 4: running, an account degraded or sends overdue, unknown or',
      'dead-lettered, 3: not running, 2: no such account); --message GUID: why that message was',
      'dispatched or dropped, as `why` (exit 1: not in the journal)',
    ],
  },
  {
    name: 'send',
    synopsis: ['send --account ID --to TARGET [--text TEXT] [--file PATH] [--idempotency-key K] [--json]'],
    summary: ['queue a message in the outbox (sent now or at next start)'],
  },
  {
    name: 'chats',
    synopsis: ['chats [--account ID] [--limit 20] [--json]'],
    summary: ["an account's chats and their chat_id (through its imsg)"],
  },
  {
    name: 'pairing',
    synopsis: [
      'pairing list [imessage] [--account ID] [--json]',
      'pairing approve [imessage] CODE [--account ID] [--notify]',
      'pairing deny [imessage] CODE|HANDLE [--account ID] [--json]',
      'pairing revoke [imessage] HANDLE [--account ID] [--json]',
    ],
    summary: ['see, approve, deny and revoke unknown senders (dmPolicy "pairing")'],
  },
  {
    name: 'quarantine',
    synopsis: ['quarantine list [--account ID] [--limit 50] [--payload] [--json]'],
    summary: ['inbound messages set aside (invalid, unjournallable, implausible row id)'],
  },
  {
    name: 'why',
    synopsis: ['why GUID [--account ID] [--json]'],
    summary: ['why a message was dispatched or dropped: its journal state, reason and the policy rules that fired (exit 1: not in the journal)'],
  },
  {
    name: 'delivery',
    synopsis: [
      'delivery list [--account ID] [--limit 50] [--json]',
      'delivery retry ID [--force] [--json]',
      'delivery purge ID... [--force] [--json]',
      'delivery purge --older-than DURATION [--account ID] [--json]',
    ],
    summary: [
      'dead letters: failed or unknown sends, failed agent turns',
      '(retry of an unknown send needs --force; exit 1 when refused)',
    ],
  },
  {
    name: 'config',
    synopsis: ['config check [--config FILE]'],
    summary: ['validate a config without starting anything; warns (exit 0) on a cliPath that does not', 'resolve and on accounts sharing one chat.db'],
  },
  {
    name: 'reload',
    synopsis: ['reload'],
    summary: [
      "re-read the running gateway's config (or send it SIGHUP); only accounts whose settings changed",
      'restart; changed gateway.logLevel/http/inspector settings are named: they need a restart',
    ],
  },
  {
    name: 'doctor',
    synopsis: ['doctor [--account ID] [--config FILE] [--json] [--fix]'],
    summary: ['check Node, binaries, permissions, SSH, the home and the config (WARN/FAIL; exit 1 on a FAIL)', '--fix: set the home to 0700 and its files to 0600'],
  },
  {
    name: 'service',
    synopsis: ['service install|uninstall|status [--dry-run] [--config FILE]'],
    summary: ['LaunchAgent (macOS) or systemd user unit (Linux); status also asks systemctl/launchctl whether it runs'],
  },
  {
    name: 'wrapper',
    synopsis: ['wrapper ssh --host HOST [--user USER] [--imsg PATH]'],
    summary: ['print an SSH wrapper script to use as cliPath'],
  },
  {
    name: 'help',
    synopsis: ['help [COMMAND]', '--version'],
    summary: ['this text, or one command\'s usage (also `COMMAND --help`)'],
  },
];

const BIN = 'imessage-gateway';
const COLUMN = 52;

export function findCommand(name: string): CommandUsage | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The full usage: every command's synopsis with its summary in a column beside or below it. */
export function fullUsage(): string {
  const lines = [`${BIN}: supervise iMessage accounts driven by \`imsg rpc\``, '', 'Usage:'];
  for (const c of COMMANDS) {
    const synopsis = c.synopsis.map((s) => `  ${BIN} ${s}`);
    const last = synopsis[synopsis.length - 1] ?? '';
    const [first = '', ...more] = c.summary;
    if (last.length + 2 <= COLUMN) synopsis[synopsis.length - 1] = `${last.padEnd(COLUMN)}${first}`;
    else synopsis.push(`${' '.repeat(COLUMN)}${first}`);
    lines.push(...synopsis, ...more.map((m) => `${' '.repeat(COLUMN)}${m}`));
  }
  lines.push(
    '',
    'Targets: chat_id:123, chat_guid:…, chat_identifier:…, imessage:+1555…, sms:+1555…, +1555…, user@example.com',
    'Home: $IMESSAGE_GATEWAY_HOME, default ~/.imessage-gateway (config.json5, state.db, status, lock).',
    `\`${BIN} help COMMAND\` or \`${BIN} COMMAND --help\` shows one command. Docs: README.md and docs/ in the project.`,
  );
  return lines.join('\n');
}

/** One command's usage, for `help COMMAND` and `COMMAND --help`. */
export function commandUsage(name: string): string {
  const c = findCommand(name);
  if (!c) throw new Error(`no usage for ${name}`);
  return ['Usage:', ...c.synopsis.map((s) => `  ${BIN} ${s}`), '', ...c.summary.map((s) => `  ${s}`)].join('\n');
}

/** The closest command to a misspelt one, when it is close enough to be what was meant. */
export function suggestCommand(typed: string): string | undefined {
  const names = COMMANDS.map((c) => c.name);
  const lower = typed.toLowerCase();
  const prefixed = names.filter((n) => n.startsWith(lower) && lower.length >= 2);
  if (prefixed.length === 1) return prefixed[0];
  // Levenshtein counts a swap of two letters as two edits: among equally close names, the one with
  // the same letters (a transposition, "stauts") wins.
  const sameLetters = (n: string) => [...n].sort().join('') === [...lower].sort().join('');
  const ranked = names
    .map((n) => ({ n, d: distance(lower, n), swap: sameLetters(n) ? 0 : 1 }))
    .filter((r) => r.d <= Math.max(2, Math.floor(Math.max(lower.length, r.n.length) / 3)))
    .sort((a, b) => a.d - b.d || a.swap - b.swap);
  return ranked[0]?.n;
}

/** The usage error's text for an unknown command, with the suggestion when there is one. */
export function unknownCommandText(typed: string): string {
  const suggestion = suggestCommand(typed);
  return (
    `unknown command ${JSON.stringify(typed)}` +
    (suggestion ? `; did you mean \`${BIN} ${suggestion}\`?` : `; \`${BIN} help\` lists the commands`)
  );
}

/** True when the arguments ask for help (`-h`/`--help` before any `--`). */
export function asksForHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

export const USAGE = fullUsage();
