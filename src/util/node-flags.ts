/**
 * The V8 flags the gateway process runs with (issue 15, event-loop p99 during a burst). Node 24
 * lets V8's young generation grow to 64 MB on a machine with memory to spare; in a burst each
 * message's objects live for tens of milliseconds (journal commit, session lane, completion
 * commit), so a scavenge every ~55 MB of allocation found 4-9 MB still alive and copied it, pausing
 * the event loop for 25-50 ms. With 16 MB semi-spaces a scavenge finds about 1.5 MB alive (inbound
 * backpressure bounds what waits) and takes under 10 ms. 16 MB rather than 8 (2026-12-01, scenario
 * 2 of the bench, interleaved): half the scavenges, each finding less alive (1.4-1.5 against
 * 1.6-1.8 MB: fewer objects outlive two of them), one mark-compact in the burst instead of two,
 * event-loop p99 8.0 ms median over 9 runs against 10.3 over 7; 32 MB finds 4.4 MB alive and
 * pauses 9 ms on average (docs/performance.md). The flag is on the service units (launchd,
 * systemd), the `npm start` script and bin/imessage-gateway.js's `#!` line (all checked by
 * test/cli/node-flags.test.ts); a gateway started as `node bin/imessage-gateway.js start` without
 * it works the same, with longer pauses in bursts.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];
