import { appleNsFromMs, parseIso8601 } from './apple-time.js';
import { ArgError, flag, intArg, parseArgs, str, type OptionSpec } from './args.js';
import { ChatCache } from './chat-cache.js';
import { encodeLine } from './json-line.js';
import { DEFAULT_DB_PATH, expandTilde } from './paths.js';
import { attachmentPayload, PayloadBuilder } from './payloads.js';
import { permissionBanner } from './permission-banner.js';
import { ReadStore } from './queries.js';
import { RUNTIME_SPECS } from './rpc-command.js';

function openStore(dbArg: string | undefined): ReadStore {
  const dbPath = expandTilde(dbArg ?? DEFAULT_DB_PATH);
  try {
    return new ReadStore(dbPath);
  } catch {
    throw new ArgError(permissionBanner(dbPath));
  }
}

function isoArg(v: string | undefined): bigint | undefined {
  if (v === undefined) return undefined;
  const ms = parseIso8601(v);
  if (ms === null) throw new ArgError(`Invalid ISO8601 date: ${v}`);
  return appleNsFromMs(ms);
}

const CHATS_SPECS: OptionSpec[] = [{ name: 'db', takesValue: true }, { name: 'limit', takesValue: true }, ...RUNTIME_SPECS];

/** `imsg-sim chats`: NDJSON ChatPayload lines, or `[<id>] <name> (<identifier>) last=<iso>`. */
export function chatsCommand(argv: string[]): number {
  const args = parseArgs(argv, CHATS_SPECS);
  const store = openStore(str(args, 'db'));
  try {
    const payloads = new PayloadBuilder(store, new ChatCache(store));
    const rows = store.listChats(Math.max(intArg(args, 'limit') ?? 20, 1));
    let out = '';
    for (const row of rows) {
      const chat = payloads.cliChat(row);
      if (flag(args, 'json')) out += encodeLine(chat);
      else out += `[${row.id}] ${String(chat['name'])} (${String(chat['identifier'])}) last=${String(chat['last_message_at'])}\n`;
    }
    process.stdout.write(out);
    return 0;
  } finally {
    store.close();
  }
}

const HISTORY_SPECS: OptionSpec[] = [
  { name: 'db', takesValue: true },
  { name: 'chat-id', takesValue: true },
  { name: 'limit', takesValue: true },
  { name: 'participants', takesValue: true },
  { name: 'start', takesValue: true },
  { name: 'end', takesValue: true },
  { name: 'attachments', takesValue: false },
  { name: 'convert-attachments', takesValue: false },
  ...RUNTIME_SPECS,
];

/** `imsg-sim history`: newest first; JSON always carries attachments and reactions. */
export function historyCommand(argv: string[]): number {
  const args = parseArgs(argv, HISTORY_SPECS);
  const chatId = intArg(args, 'chat-id');
  if (chatId === undefined) throw new ArgError('Missing required option: --chat-id');
  const participants = (args.lists.get('participants') ?? [])
    .flatMap((p) => p.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const startNs = isoArg(str(args, 'start'));
  const endNs = isoArg(str(args, 'end'));
  const store = openStore(str(args, 'db'));
  try {
    const payloads = new PayloadBuilder(store, new ChatCache(store));
    const rows = store.history({ chatId, limit: Math.max(intArg(args, 'limit') ?? 50, 1), participants, startNs, endNs });
    const json = flag(args, 'json');
    const showAttachments = flag(args, 'attachments');
    let out = '';
    for (const row of rows) {
      const msg = payloads.message(row, { attachments: true, reactions: true, chatFields: false, reactionEvent: false });
      if (json) {
        out += encodeLine(msg);
        continue;
      }
      const dir = msg['is_from_me'] ? 'sent' : 'recv';
      out += `${String(msg['created_at'])} [${dir}] ${String(msg['sender'])}: ${String(msg['text'])}\n`;
      const atts = store.attachments(row.id);
      if (atts.length === 0) continue;
      if (!showAttachments) out += `  (${atts.length} attachments)\n`;
      else {
        for (const a of atts.map(attachmentPayload)) {
          out += `  attachment: name=${String(a['transfer_name'])} mime=${String(a['mime_type'])} missing=${String(a['missing'])} path=${String(a['original_path'])}\n`;
        }
      }
    }
    process.stdout.write(out);
    return 0;
  } finally {
    store.close();
  }
}
