#!/usr/bin/env node
// A fake `imsg rpc` for the poison-message e2e test (issue 11, items 1 and 2). It speaks the
// JSON-RPC of imsg-rpc-protocol.md: chats.list and messages.history answer empty (a new account
// starts at row 0), watch.subscribe answers { subscription: 1 } and then emits, as `message`
// notifications, the poison rows of the adversarial run followed by one normal message (row 5).
// Rows at or below since_rowid are not sent again, like imsg. `send` appends its params as a JSON
// line to `<--db>.sent.jsonl` and answers { ok: true }.
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const db = process.argv[process.argv.indexOf('--db') + 1] ?? '/tmp/poison-imsg';
const write = (text) => process.stdout.write(`${text}\n`);
const base = {
  chat_id: 1,
  sender: '+15551230000',
  is_from_me: false,
  created_at: new Date().toISOString(),
  attachments: [],
  reactions: [],
  chat_identifier: '+15551230000',
  chat_guid: 'iMessage;-;+15551230000',
  chat_name: '',
  participants: ['+15551230000'],
  is_group: false,
};
// Raw JSON so the huge numbers reach the gateway exactly as a corrupt imsg would write them.
const rows = [
  { id: '1', json: JSON.stringify({ ...base, id: 1, guid: 'P-null-attachment', text: 'POISON-TEXT-attachments', attachments: [null] }) },
  { id: '9223372036854775808', json: JSON.stringify({ ...base, guid: 'P-id-2^63', text: 'POISON-TEXT-2^63' }).replace('{', '{"id":9223372036854775808,') },
  { id: '1e300', json: JSON.stringify({ ...base, guid: 'P-id-1e300', text: 'POISON-TEXT-1e300' }).replace('{', '{"id":1e300,') },
  { id: '9007199254740991', json: JSON.stringify({ ...base, id: 9007199254740991, guid: 'P-rowid-2^53', text: 'POISON-TEXT-jump' }) },
  { id: '3', json: JSON.stringify({ ...base, id: 3, guid: 'P-chat-1e300', text: 'POISON-TEXT-chat' }).replace('"chat_id":1', '"chat_id":1e300') },
  { id: '5', json: JSON.stringify({ ...base, id: 5, guid: 'OK-5', text: 'hello after the poison' }) },
];

const rl = createInterface({ input: process.stdin });
rl.on('line', (raw) => {
  const req = JSON.parse(raw);
  const params = req.params ?? {};
  const answer = (result) => write(JSON.stringify({ jsonrpc: '2.0', id: req.id, result }));
  switch (req.method) {
    case 'chats.list':
      return answer({ chats: [] });
    case 'messages.history':
      return answer({ messages: [] });
    case 'watch.subscribe': {
      answer({ subscription: 1 });
      const since = typeof params.since_rowid === 'number' ? params.since_rowid : -1;
      for (const row of rows) {
        if (Number(row.id) <= since) continue;
        write(`{"jsonrpc":"2.0","method":"message","params":{"subscription":1,"message":${row.json}}}`);
      }
      return undefined;
    }
    case 'send':
      appendFileSync(`${db}.sent.jsonl`, `${JSON.stringify(params)}\n`);
      return answer({ ok: true });
    default:
      return answer({});
  }
});
rl.on('close', () => process.exit(0));
