import { ArgError, flag, parseArgs, str, type OptionSpec } from './args.js';
import { snapshotDb, swapDb } from './db-swap.js';
import { injectMessage, type InjectOptions } from './inject.js';
import { encodeLine } from './json-line.js';
import { expandTilde } from './paths.js';
import { initSimDb } from './schema.js';

const INJECT_SPECS: OptionSpec[] = [
  { name: 'db', takesValue: true },
  { name: 'from', takesValue: true },
  { name: 'text', takesValue: true },
  { name: 'chat-guid', takesValue: true },
  { name: 'group', takesValue: true },
  { name: 'participants', takesValue: true },
  { name: 'attachment', takesValue: true },
  { name: 'date', takesValue: true },
  { name: 'from-me', takesValue: false },
  { name: 'reaction', takesValue: true },
  { name: 'target-guid', takesValue: true },
  { name: 'remove', takesValue: false },
  { name: 'reply-to', takesValue: true },
  { name: 'service', takesValue: true },
  { name: 'me', takesValue: true },
  { name: 'guid', takesValue: true },
  { name: 'json', short: 'j', takesValue: false },
];

function requireDb(v: string | undefined): string {
  if (!v) throw new ArgError('Missing required option: --db');
  return expandTilde(v);
}

/** `imsg-sim init --db PATH` */
export function initCommand(argv: string[]): number {
  const args = parseArgs(argv, [{ name: 'db', takesValue: true }]);
  initSimDb(requireDb(str(args, 'db')));
  return 0;
}

/** `imsg-sim snapshot --db PATH --to FILE`: a consistent copy to restore later. */
export function snapshotCommand(argv: string[]): number {
  const args = parseArgs(argv, [{ name: 'db', takesValue: true }, { name: 'to', takesValue: true }]);
  const to = str(args, 'to');
  if (!to) throw new ArgError('Missing required option: --to');
  snapshotDb(requireDb(str(args, 'db')), expandTilde(to));
  return 0;
}

/** `imsg-sim swap --db PATH --with FILE`: FILE replaces the database (a new inode); prints where the old one went. */
export function swapCommand(argv: string[]): number {
  const args = parseArgs(argv, [{ name: 'db', takesValue: true }, { name: 'with', takesValue: true }]);
  const withPath = str(args, 'with');
  if (!withPath) throw new ArgError('Missing required option: --with');
  const aside = swapDb(requireDb(str(args, 'db')), expandTilde(withPath));
  process.stdout.write(encodeLine({ replaced: aside }));
  return 0;
}

/** `imsg-sim inject ...`: prints `{"id":…,"guid":…,"chat_id":…}`. */
export function injectCommand(argv: string[]): number {
  const args = parseArgs(argv, INJECT_SPECS);
  const db = requireDb(str(args, 'db'));
  const opts: InjectOptions = { fromMe: flag(args, 'from-me'), removeReaction: flag(args, 'remove') };
  const set = <K extends keyof InjectOptions>(k: K, v: InjectOptions[K] | undefined): void => {
    if (v !== undefined) opts[k] = v;
  };
  set('from', str(args, 'from'));
  set('text', str(args, 'text'));
  set('chatGuid', str(args, 'chat-guid'));
  set('group', str(args, 'group'));
  set('attachment', str(args, 'attachment'));
  set('date', str(args, 'date'));
  set('reaction', str(args, 'reaction'));
  set('targetGuid', str(args, 'target-guid'));
  set('replyTo', str(args, 'reply-to'));
  set('service', str(args, 'service'));
  set('me', str(args, 'me') ?? process.env['IMSG_SIM_ME']);
  set('guid', str(args, 'guid'));
  const parts = str(args, 'participants');
  if (parts !== undefined) opts.participants = parts.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (opts.chatGuid && opts.group !== undefined) throw new ArgError('use --chat-guid or --group; not both');
  if (opts.reaction !== undefined && !opts.targetGuid) throw new ArgError('--reaction requires --target-guid');
  const needsFrom = !(opts.fromMe && (opts.group !== undefined || opts.chatGuid)) && !opts.targetGuid;
  if (needsFrom && !opts.from) throw new ArgError('Missing required option: --from');
  if (opts.text === undefined && !opts.attachment && opts.reaction === undefined) {
    throw new ArgError('Missing required option: --text');
  }
  process.stdout.write(encodeLine(injectMessage(db, opts)));
  return 0;
}
