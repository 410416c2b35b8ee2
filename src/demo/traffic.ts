/**
 * Writes demo traffic into the simulated Messages databases: DMs from a few people, a group
 * conversation where the bot is sometimes mentioned, and the odd message to the personal identity.
 */
import type { Logger } from 'pino';
import { SimWriter } from '../sim/inject.js';

interface Script {
  account: string;
  from: string;
  text: string;
  group?: { name: string; participants: string[] };
}

const FAMILY = { name: 'Family', participants: ['+15551230001', 'jane@example.com', '+15551230003'] };

const SCRIPTS: Script[] = [
  { account: 'bot', from: '+15551230001', text: 'hi bot, what time is it?' },
  { account: 'bot', from: 'jane@example.com', text: 'ping' },
  { account: 'bot', from: '+15551230003', text: 'dinner at 7?', group: FAMILY },
  { account: 'bot', from: 'jane@example.com', text: '@bot summarise the plan', group: FAMILY },
  { account: 'personal', from: '+15551230009', text: 'are you around later?' },
  { account: 'bot', from: '+15551230001', text: 'thanks!' },
  { account: 'personal', from: '+15551230009', text: 'family chat for personal', group: FAMILY },
];

export class DemoTraffic {
  private timer: NodeJS.Timeout | undefined;
  private step = 0;
  private readonly writers = new Map<string, SimWriter>();

  constructor(
    private readonly dbs: Record<string, string>,
    private readonly logger: Logger,
    private readonly intervalMs = 2500,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    for (const w of this.writers.values()) w.close();
    this.writers.clear();
  }

  private tick(): void {
    const script = SCRIPTS[this.step % SCRIPTS.length]!;
    this.step++;
    const db = this.dbs[script.account];
    if (!db) return;
    try {
      let writer = this.writers.get(db);
      if (!writer) {
        writer = new SimWriter(db);
        this.writers.set(db, writer);
      }
      const row = writer.injectMessage({
        from: script.from,
        text: script.text,
        ...(script.group ? { group: script.group.name, participants: script.group.participants } : {}),
      });
      // At debug: the gateway's own info line for the message follows ("message accepted"), and the text is for debug only.
      this.logger.debug(
        { account: script.account, from: script.from, chatId: row.chat_id, rowid: row.id, text: script.text },
        `demo: ${script.from} wrote to ${script.account}${script.group ? ` in "${script.group.name}"` : ''}`,
      );
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'demo: could not write a message');
    }
  }
}
