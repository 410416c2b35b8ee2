/**
 * Chaos: a stream of messages with unique texts while imsg children are kill -9'd every second or
 * so and, separately, the gateway itself is kill -9'd and restarted. Afterwards every message has
 * reached the agent (under one stable envelope id) and every reply is in the simulator's database
 * exactly once. The agent may be handed an envelope again only when the gateway died while that
 * envelope was with it; the envelope id lets it recognise that. Runs against both imsg-sim profiles
 * (0.9: legacy protocol; 0.15: v1, catch-up with messages.after). The kill pauses come from
 * CHAOS_SEED (test/helpers/chaos-seed.ts), printed with the failure, so a run can be replayed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, ONE_TURN_PER_MESSAGE, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES } from '../helpers/sim-profiles.js';
import { CHAOS_SEED, seededInts } from '../helpers/chaos-seed.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let current: GatewayProcess | undefined;
let server: Server | undefined;
afterEach(async () => {
  await current?.stop();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

/** An HTTP agent in this process: records every envelope it is handed and replies `ack: <text>`. */
async function recordingHttpAgent(seen: Array<{ id: string; text: string }>) {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const env = JSON.parse(body) as { id: string; text: string };
      seen.push({ id: env.id, text: env.text });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ replies: [{ text: `ack: ${env.text}` }] }));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { id: 'main', name: 'Bot', default: true, handler: { type: 'http', url: `http://127.0.0.1:${port}/agent`, timeoutMs: 20_000 } };
}

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  const seed = CHAOS_SEED + SIM_PROFILES.indexOf(profile);
  // One turn per message: every message must reach the agent and be answered exactly once.
  const start = (config: Record<string, unknown>, home?: string) =>
    startGateway({ messages: ONE_TURN_PER_MESSAGE, ...config }, home, { simProfile: profile });

  describe('chaos', () => {
    it('delivers every message to the agent and every reply exactly once through kill -9 of imsg and of the gateway', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const seen: Array<{ id: string; text: string }> = [];
      const config = {
        imessage: openAccount(SIM_BIN, db, { groups: { '*': { requireMention: false } } }),
        agents: { list: [await recordingHttpAgent(seen)] },
        gateway: {
          supervision: {
            backoffInitialMs: 100,
            backoffMaxMs: 400,
            restartIntensity: { maxRestarts: 1000, windowMs: 60_000 },
            livenessIntervalMs: 500,
            stopTimeoutMs: 300,
            sendTimeoutMs: 5000,
          },
        },
      };
      current = start(config);
      const home = current.home;
      await current.waitForState('default', 'streaming');

      const total = 150;
      const senders = ['+15552220001', '+15552220002', 'chaos@example.com'];
      const group = { group: 'Chaos', participants: senders };
      let injected = 0;
      let childKills = 0;
      let gatewayKills = 0;
      const injector = (async () => {
        for (let i = 0; i < total; i++) {
          const from = senders[i % senders.length]!;
          inject(db, { from, text: `m-${i}`, ...(i % 4 === 0 ? group : {}) });
          injected++;
          await sleep(90);
        }
      })();
      const killPauses = seededInts(seed, 64, 700, 1500);
      const childKiller = (async () => {
        for (let k = 0; injected < total; k++) {
          await sleep(killPauses[k % killPauses.length]!);
          const pid = current?.account('default')?.childPid;
          if (pid) {
            try {
              process.kill(pid, 'SIGKILL');
              childKills++;
            } catch {
              // already gone (a stale status between gateway restarts)
            }
          }
        }
      })();
      const gatewayKiller = (async () => {
        for (const at of [0.3, 0.65]) {
          await waitUntil(() => injected >= total * at || undefined, 'injection progress', 60_000);
          current!.proc.kill('SIGKILL');
          await current!.exited();
          gatewayKills++;
          await sleep(200);
          current = start(config, home);
        }
      })();
      await Promise.all([injector, childKiller, gatewayKiller]);

      const expected = Array.from({ length: total }, (_, i) => `ack: m-${i}`);
      try {
        await waitUntil(
          () => {
            const sent = new Set(sentRows(db).map((r) => r.text));
            return expected.every((t) => sent.has(t)) || undefined;
          },
          'every reply',
          120_000,
          250,
        );
      } catch (err) {
        const sent = new Set(sentRows(db).map((r) => r.text));
        const a = current?.account('default');
        throw new Error(
          `${(err as Error).message}; missing ${expected.filter((t) => !sent.has(t)).join(', ')}; ` +
            `agent saw ${seen.length}; status ${JSON.stringify({ state: a?.state, journalLag: a?.journalLag, outbox: a?.outbox, counters: a?.counters })}`,
        );
      }
      await waitUntil(() => current?.account('default')?.outbox.depth === 0 || undefined, 'the outbox to drain', 30_000);
      await sleep(1500);

      // Every reply exactly once, and nothing else sent.
      const counts = new Map<string, number>();
      for (const r of sentRows(db)) counts.set(r.text, (counts.get(r.text) ?? 0) + 1);
      expect([...counts.entries()].filter(([, n]) => n !== 1), `seed ${seed}`).toEqual([]);
      expect([...counts.keys()].sort(), `seed ${seed}`).toEqual([...expected].sort());

      // Every message reached the agent, always under the same envelope id.
      const idsByText = new Map<string, Set<string>>();
      for (const e of seen) idsByText.set(e.text, (idsByText.get(e.text) ?? new Set()).add(e.id));
      for (let i = 0; i < total; i++) expect(idsByText.get(`m-${i}`)?.size, `m-${i}`).toBe(1);
      expect(idsByText.size).toBe(total);
      // Hand-overs repeated only for envelopes that were with the agent when the gateway died.
      const repeats = seen.length - total;
      expect(repeats).toBeLessThanOrEqual(gatewayKills * 4);

      expect(childKills).toBeGreaterThanOrEqual(5);
      expect(gatewayKills).toBe(2);
      const status = current!.account('default')!;
      expect(status.journalLag).toBe(0);
      expect(status.outbox.failed).toBe(0);
    }, 240_000);
  });
});
