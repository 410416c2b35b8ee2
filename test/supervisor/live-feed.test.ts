/**
 * The dashboard's live feed on a real store file: flow entries pushed when they are new or change
 * (text only with showText), no query while nothing was committed, log records in batches, and
 * nothing at all while no page listens.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { GatewayStore } from '../../src/store/index.js';
import type { GatewayEvent } from '../../src/supervisor/control-backend.js';
import { LIVE_FEED_TICK_MS, LiveFeed } from '../../src/supervisor/live-feed.js';
import { LogRing } from '../../src/util/log-ring.js';
import { accepted, reply, tempHome } from '../store/store-helpers.js';

describe('LiveFeed', () => {
  let home: ReturnType<typeof tempHome>;
  let store: GatewayStore;
  let clock: SimulatedClock;
  let ring: LogRing;
  let showText: boolean;
  let queries: number;
  let feed: LiveFeed;

  beforeEach(() => {
    home = tempHome();
    clock = new SimulatedClock();
    store = GatewayStore.open(home.dbPath, { now: () => clock.now() });
    ring = new LogRing();
    showText = false;
    queries = 0;
    const counted = {
      recentFlow: (r: Parameters<GatewayStore['recentFlow']>[0]) => (queries++, store.recentFlow(r)),
      commitStats: () => store.commitStats(),
    };
    feed = new LiveFeed({ store: counted, showText: () => showText, logRing: ring, clock });
  });
  afterEach(() => {
    store.close();
    home.cleanup();
  });

  const tick = () => clock.increment(LIVE_FEED_TICK_MS);
  const listen = () => {
    const events: GatewayEvent[] = [];
    const stop = feed.subscribe((e) => events.push(e));
    return { events, stop, flows: () => events.flatMap((e) => (e.type === 'flow' ? [e] : [])) };
  };

  it('does nothing while nobody listens, and stops with its last listener', () => {
    store.recordInbound('acct', [accepted('g1', 1)], 1);
    ring.pushLine('{"level":30,"time":1,"msg":"before"}');
    tick();
    expect(feed.running).toBe(false);
    expect(queries).toBe(0);

    const a = listen();
    const b = listen();
    expect(feed.running).toBe(true);
    expect(queries).toBe(1); // the baseline, read once for both
    a.stop();
    expect(feed.running).toBe(true);
    b.stop();
    expect(feed.running).toBe(false);
    store.recordInbound('acct', [accepted('g2', 2)], 2);
    ring.pushLine('{"level":30,"time":2,"msg":"after"}');
    tick();
    tick();
    expect(queries).toBe(1);
    expect([...a.events, ...b.events]).toEqual([]);
  });

  it('pushes new and changed entries, once, without text; reads nothing while nothing was committed', () => {
    store.recordInbound('acct', [accepted('old', 1)], 1);
    const page = listen();
    expect(page.flows()).toEqual([]); // the page fetched the backlog itself

    tick();
    tick();
    expect(queries).toBe(1); // no commit since: no query

    store.recordInbound('acct', [accepted('g2', 2)], 2);
    tick();
    expect(page.flows()).toHaveLength(1);
    const [first] = page.flows();
    expect(first!.showText).toBe(false);
    expect(first!.entries.map((e) => [e.guid, e.decision, e.reply])).toEqual([['g2', 'accepted', null]]);
    expect(first!.entries[0]).not.toHaveProperty('text');

    const [id] = store.completeDispatch('acct', 'g2', [reply('r2', { envelopeId: 'acct:g2' })]);
    tick();
    store.markSending(id!);
    store.markSent(id!, {});
    tick();
    tick();
    const pushed = page.flows().map((f) => f.entries.map((e) => `${e.guid}:${e.decision}:${e.reply?.state ?? '-'}`));
    expect(pushed).toEqual([['g2:accepted:-'], ['g2:dispatched:queued'], ['g2:dispatched:sent']]);
    expect(JSON.stringify(page.events)).not.toContain('message 2');
    page.stop();
  });

  it('carries the text only while gateway.dashboard.showMessageText is on', () => {
    const page = listen();
    showText = true;
    store.recordInbound('acct', [accepted('g1', 1)], 1);
    tick();
    expect(page.flows()[0]).toMatchObject({ showText: true, entries: [{ guid: 'g1', text: 'message 1' }] });
    showText = false; // a reload turned it off: the entries go again, without it
    tick();
    expect(page.flows()[1]).toMatchObject({ showText: false, entries: [{ guid: 'g1' }] });
    expect(page.flows()[1]!.entries[0]).not.toHaveProperty('text');
    page.stop();
  });

  it('sends the log records written since the last tick, in order, in one event', () => {
    const page = listen();
    ring.pushLine('{"level":30,"time":1,"msg":"one"}');
    ring.pushLine('{"level":20,"time":2,"msg":"debug: not kept"}');
    ring.pushLine('{"level":40,"time":3,"msg":"two","account":"acct"}');
    expect(page.events).toEqual([]);
    tick();
    expect(page.events).toEqual([
      {
        type: 'log',
        records: [
          { seq: 1, time: 1, level: 'info', msg: 'one', fields: {} },
          { seq: 3, time: 3, level: 'warn', msg: 'two', account: 'acct', fields: {} },
        ],
      },
    ]);
    tick();
    expect(page.events).toHaveLength(1);
    page.stop();
  });
});
