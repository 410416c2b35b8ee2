// A separate process for the attachment swap-race test (attachment-swap-race.test.ts): for
// `durationMs`, exchange directory `dir` with a symlink to `target` as fast as it can
// (rename away, symlink in its place, remove the symlink, rename back), then leave the real
// directory in place and print {"swaps":N} on stdout.
import { renameSync, symlinkSync, unlinkSync } from 'node:fs';

const [dir, away, target, durationMs] = process.argv.slice(2);
if (!dir || !away || !target || !durationMs) {
  process.stderr.write('usage: swap-loop.mjs DIR AWAY TARGET DURATION_MS\n');
  process.exit(2);
}
const until = Date.now() + Number(durationMs);
let swaps = 0;
while (Date.now() < until) {
  for (let i = 0; i < 64; i++) {
    renameSync(dir, away);
    symlinkSync(target, dir);
    unlinkSync(dir);
    renameSync(away, dir);
    swaps++;
  }
}
process.stdout.write(`${JSON.stringify({ swaps })}\n`);
