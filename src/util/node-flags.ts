/**
 * The V8 flags the gateway process runs with (issue 15, event-loop p99 during a burst). Node 24
 * lets V8's young generation grow to 64 MB on a machine with memory to spare; in a burst each
 * message's objects live for tens of milliseconds (journal commit, session lane, completion
 * commit), so a scavenge every ~55 MB of allocation found 4-9 MB still alive and copied it, pausing
 * the event loop for 25-50 ms. With 8 MB semi-spaces a scavenge finds 1-2 MB alive and takes under
 * 10 ms; scenario 2 of the bench measured p99 40-52 → 20-23 ms and throughput no worse
 * (docs/performance.md). The flag is on the service units (launchd, systemd), the `npm start`
 * script and bin/imessage-gateway.js's `#!` line (all checked by test/cli/node-flags.test.ts); a
 * gateway started as `node bin/imessage-gateway.js start` without it works the same, with longer
 * pauses in bursts.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
