/**
 * Issue 15, item 3 ("Commits: bounded per event-loop turn, by rows and by time; completions
 * coalesced"): mechanism tests on a real store in a temp dir, counting its commits
 * (GatewayStore.commitStats, which status.json reports as `storeCommits`).
 * - The inbound journal writes at most `maxRows` entries per transaction, and once a turn has
 *   spent its budget on commits the rest waits for the next turn.
 * - Finished agent turns within the completion window share one commit: a burst of 100 DMs from
 *   20 senders (per-peer lanes) costs at most 0.5 durable commits per message in all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { AgentHandler, AgentResult } from '../../src/agents/types.js';
import type { ImsgMessage } from '../../src/imsg/types.js';
import { GatewayStore } from '../../src/store/index.js';
import { InboundRecorder, MAX_ROWS_PER_COMMIT, type RecordedEntry } from '../../src/supervisor/inbound-recorder.js';
import { silentLogger } from '../../src/util/logger.js';
import { TurnBudget } from '../../src/util/turn-budget.js';
import { imsgMessage } from '../helpers/imsg-message.js';
import { realPipeline } from '../helpers/real-pipeline.js';
import { waitUntil } from '../helpers/sim-db.js';
import { accepted, tempHome } from '../store/store-helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const nextTurn = () => new Promise<void>((r) => setImmediate(r));
/** A turn budget on a clock that never moves: chunks are never cut short by the time work takes here. */
const untimedTurns = () => new TurnBudget({ budgetMs: 5, now: () => 0 });

function openStore(): GatewayStore {
  const home = tempHome('gw-commits-');
  cleanups.push(home.cleanup);
  const store = GatewayStore.open(home.dbPath);
  cleanups.push(() => store.close());
  return store;
}

describe('inbound journal commits are bounded per turn', () => {
  it('by rows: 35 entries of one turn are written as transactions of at most 10', async () => {
    const store = openStore();
    const sizes: number[] = [];
    const recorder = new InboundRecorder<number>({
      accountId: 'acct',
      store,
      clock: new SimulatedClock(),
      logger: silentLogger,
      onRecorded: (batch) => sizes.push(batch.length),
      onPoison: () => undefined,
      maxRows: 10,
      turns: untimedTurns(),
    });
    const before = store.commitStats().commits;
    for (let i = 1; i <= 35; i++) recorder.add(accepted(`g${i}`, i), i);
    expect(sizes).toEqual([]); // nothing is written inside the turn that received them
    await waitUntil(() => (recorder.pending === 0 ? true : undefined), 'all 35 written');
    expect(sizes).toEqual([10, 10, 10, 5]);
    expect(store.commitStats().commits - before).toBe(4);
    expect(store.getCursor('acct')).toBe(35);
  });

  it('by time: once a turn has spent its budget, the rest is written at the next turn', async () => {
    const store = openStore();
    let t = 0;
    const recorded: Array<RecordedEntry<number>> = [];
    const recorder = new InboundRecorder<number>({
      accountId: 'acct',
      store,
      clock: new SimulatedClock(),
      logger: silentLogger,
      // Each row "takes" 0.3 ms on the budget's clock: in 4 ms, a chunk of 10 (3 ms), then the
      // 3 rows that fit the 1 ms left; the 0.1 ms left then takes no row.
      onRecorded: (batch) => {
        recorded.push(...batch);
        t += batch.length * 0.3;
      },
      onPoison: () => undefined,
      maxRows: 10,
      turns: new TurnBudget({ budgetMs: 4, now: () => t }),
    });
    for (let i = 1; i <= 50; i++) recorder.add(accepted(`g${i}`, i), i);
    const perTurn: number[] = [];
    while (recorded.length < 50 && perTurn.length < 10) {
      await nextTurn();
      perTurn.push(recorded.length);
    }
    expect(perTurn).toEqual([13, 26, 39, 50]);
    expect(recorded.map((r) => r.payload)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('a chunk that starts late in a turn is sized to the budget left, from the cost per row so far', async () => {
    const store = openStore();
    let t = 0;
    const sizes: number[] = [];
    const recorder = new InboundRecorder<number>({
      accountId: 'acct',
      store,
      clock: new SimulatedClock(),
      logger: silentLogger,
      // Each row "takes" 0.1 ms: a full chunk of 20 rows, 2 ms.
      onRecorded: (batch) => {
        sizes.push(batch.length);
        t += batch.length * 0.1;
      },
      onPoison: () => undefined,
      maxRows: 20,
      turns: new TurnBudget({ budgetMs: 5, now: () => t }),
    });
    for (let i = 1; i <= 60; i++) recorder.add(accepted(`g${i}`, i), i);
    await nextTurn();
    // 2 ms, 2 ms, then 1 ms is left: 10 rows (not a third full chunk, which would end at 6 ms).
    expect(sizes).toEqual([20, 20, 10]);
    await waitUntil(() => (recorder.pending === 0 ? true : undefined), 'all 60 written');
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(60);
  });

  it('with a least gap between commits, a steady stream shares commits and a message after a quiet moment is committed at once', async () => {
    const store = openStore();
    const clock = new SimulatedClock();
    const sizes: number[] = [];
    const recorder = new InboundRecorder<number>({
      accountId: 'acct',
      store,
      clock,
      logger: silentLogger,
      onRecorded: (batch) => sizes.push(batch.length),
      onPoison: () => undefined,
      maxRows: 10,
      minCommitGapMs: 3,
      turns: untimedTurns(),
    });
    // The first message: no commit before it, so at once (the next turn).
    recorder.add(accepted('g1', 1), 1);
    await nextTurn();
    expect(sizes).toEqual([1]);
    // Three more within the gap: they wait for it and go together.
    recorder.add(accepted('g2', 2), 2);
    clock.increment(1);
    recorder.add(accepted('g3', 3), 3);
    recorder.add(accepted('g4', 4), 4);
    await nextTurn();
    expect(sizes).toEqual([1]);
    clock.increment(2); // 3 ms since the last commit
    await nextTurn();
    expect(sizes).toEqual([1, 3]);
    // A full chunk does not wait for the gap.
    for (let i = 5; i <= 14; i++) recorder.add(accepted(`g${i}`, i), i);
    await nextTurn();
    expect(sizes).toEqual([1, 3, 10]);
    // After a quiet moment: at once again.
    clock.increment(50);
    recorder.add(accepted('g15', 15), 15);
    await nextTurn();
    expect(sizes).toEqual([1, 3, 10, 1]);
    expect(store.getCursor('acct')).toBe(15);
  });

  it('flush() (shutdown) still writes everything at once, in chunks', () => {
    const store = openStore();
    const recorder = new InboundRecorder<number>({
      accountId: 'acct',
      store,
      clock: new SimulatedClock(),
      logger: silentLogger,
      onRecorded: () => undefined,
      onPoison: () => undefined,
      maxRows: 7,
    });
    const before = store.commitStats().commits;
    for (let i = 1; i <= 20; i++) recorder.add(accepted(`g${i}`, i), i);
    expect(recorder.flush()).toBe(true);
    expect(recorder.pending).toBe(0);
    expect(store.commitStats().commits - before).toBe(3);
  });
});

describe('finished agent turns are coalesced', () => {
  const ACCOUNT = 'acct';
  const CREATED_AT = '2026-01-15T12:00:00.000Z';

  function pipeline(
    store: GatewayStore,
    clock: SimulatedClock,
    windowMs: number,
    extra: { turns?: TurnBudget; onHuman?: () => void; agentGate?: () => Promise<void> } = {},
  ) {
    const home = tempHome('gw-commits-home-');
    cleanups.push(home.cleanup);
    let handled = 0;
    const agent: AgentHandler = {
      agentId: 'main',
      kind: 'http',
      handle: async (): Promise<AgentResult> => {
        handled++;
        await extra.agentGate?.();
        return { replies: [] };
      },
    };
    const { pipeline: p, counters } = realPipeline({
      store,
      clock,
      homeDir: home.dir,
      agent,
      cleanups,
      options: {
        onHumanMessage: () => {
          extra.onHuman?.();
          return true;
        },
        completionWindowMs: windowMs,
        turnSlices: extra.turns ?? untimedTurns(),
      },
    });
    return { pipeline: p, counters, handled: () => handled };
  }

  function dm(id: number): ImsgMessage {
    const sender = `+1555123${String(id % 20).padStart(4, '0')}`;
    return imsgMessage({ id, chat_id: id % 20, guid: `G-${id}`, text: `m ${id}`, sender, chat_identifier: sender, chat_guid: `iMessage;-;${sender}`, participants: [sender], created_at: CREATED_AT });
  }

  it('turns finishing in different event-loop turns within the window share one commit', async () => {
    const store = openStore();
    const clock = new SimulatedClock();
    clock.set(Date.parse(CREATED_AT) + 1000);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const s = pipeline(store, clock, 10, { agentGate: () => (++started % 2 === 0 ? gate : Promise.resolve()) });
    const before = store.commitStats().commits;
    // 20 messages in one event-loop turn (one journal commit); half the agent turns finish at once,
    // half a few event-loop turns later: with no journal commit after them, they wait for the window.
    for (let k = 1; k <= 20; k++) s.pipeline.handle(dm(k));
    await waitUntil(() => (s.handled() === 20 ? true : undefined), 'every agent turn ran');
    for (let i = 0; i < 3; i++) await nextTurn();
    release();
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(s.counters.dispatched).toBe(0); // finished, waiting for the window
    clock.increment(10);
    await waitUntil(() => (s.counters.dispatched === 20 ? true : undefined), 'every turn committed');
    // 1 journal commit + 1 for the 20 completions.
    expect(store.commitStats().commits - before).toBe(2);
  });

  it('turns finished before a journal commit settle in its transaction: ≤ 0.5 commits per message', async () => {
    const store = openStore();
    const clock = new SimulatedClock();
    clock.set(Date.parse(CREATED_AT) + 1000);
    const s = pipeline(store, clock, 10);
    const before = store.commitStats().commits;
    // 50 messages arriving over 5 event-loop turns (10 per turn), 20 senders.
    for (let turn = 0; turn < 5; turn++) {
      for (let k = 0; k < 10; k++) s.pipeline.handle(dm(turn * 10 + k + 1));
      await nextTurn();
      await nextTurn();
    }
    await waitUntil(() => (s.handled() === 50 ? true : undefined), 'every agent turn ran');
    for (let i = 0; i < 5; i++) await nextTurn();
    // Each arrival's journal commit settled the turns finished before it; the last ten wait for the window.
    expect(s.counters.dispatched).toBe(40);
    expect(store.commitStats().commits - before).toBe(5);
    clock.increment(10);
    await waitUntil(() => (s.counters.dispatched === 50 ? true : undefined), 'every turn committed');
    const commits = store.commitStats().commits - before;
    // 5 journal commits (one per arrival turn, the last four with the turns before them) + 1.
    expect(commits).toBe(6);
    expect(commits / 50).toBeLessThanOrEqual(0.5);
  });

  it('without a window (0), completions of different turns commit separately (the control)', async () => {
    const store = openStore();
    const clock = new SimulatedClock();
    clock.set(Date.parse(CREATED_AT) + 1000);
    const s = pipeline(store, clock, 0);
    const before = store.commitStats().commits;
    for (let turn = 0; turn < 10; turn++) {
      for (let k = 0; k < 10; k++) s.pipeline.handle(dm(turn * 10 + k + 1));
      await waitUntil(() => (s.counters.dispatched === (turn + 1) * 10 ? true : undefined), `turn ${turn} committed`);
    }
    expect(store.commitStats().commits - before).toBeGreaterThanOrEqual(20);
  });

  it('shutdown writes the completions waiting for their window', async () => {
    const store = openStore();
    const clock = new SimulatedClock();
    clock.set(Date.parse(CREATED_AT) + 1000);
    const s = pipeline(store, clock, 10);
    for (let i = 1; i <= 30; i++) s.pipeline.handle(dm(i));
    await waitUntil(() => (s.handled() === 30 ? true : undefined), 'every agent turn ran');
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(store.pendingInbound(ACCOUNT)).toHaveLength(30);
    s.pipeline.close();
    expect(store.pendingInbound(ACCOUNT)).toHaveLength(0);
  });

  it("acting on journalled messages runs in slices of its own: a chunk's commit is sized by what the commit costs, not by acting on its rows", async () => {
    const store = openStore();
    const clock = new SimulatedClock();
    clock.set(Date.parse(CREATED_AT) + 1000);
    // Acting on a message "takes" 0.3 ms on the budget's clock (its breaker note, called while
    // acting); the commit itself takes none. A budget of 4 ms: 14 messages acted on per turn.
    let t = 0;
    let acted = 0;
    const turns = new TurnBudget({ budgetMs: 4, now: () => t });
    const s = pipeline(store, clock, 10, {
      turns,
      onHuman: () => {
        acted++;
        t += 0.3;
      },
    });
    for (const wave of [0, 1]) {
      const before = store.commitStats().commits;
      for (let i = 1; i <= 50; i++) s.pipeline.handle(dm(wave * 50 + i));
      const perTurn: number[] = [];
      while (acted < (wave + 1) * 50 && perTurn.length < 20) {
        const start = acted;
        await nextTurn();
        perTurn.push(acted - start);
      }
      // One journal commit for the wave (its completions wait for the window: no commit yet),
      // whatever acting on the first wave cost; acting spread over turns within their budget.
      expect(store.commitStats().commits - before).toBe(1);
      expect(perTurn.reduce((a, b) => a + b, 0)).toBe(50);
      expect(Math.max(...perTurn)).toBeLessThanOrEqual(14);
      await waitUntil(() => (s.handled() === (wave + 1) * 50 ? true : undefined), 'every agent turn ran');
      clock.increment(10); // the completion window: the wave's turns commit, out of the next wave's count
      await waitUntil(() => (s.counters.dispatched === (wave + 1) * 50 ? true : undefined), 'the wave committed');
    }
  });
});
