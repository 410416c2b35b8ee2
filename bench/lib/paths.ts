/** Where things are: the repository root (found from this file, built or not) and the binaries. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepo(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'imessage-gateway') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the imessage-gateway repository root');
    dir = up;
  }
}

export const REPO = findRepo();
export const GATEWAY_BIN = join(REPO, 'bin', 'imessage-gateway.js');
export const SIM_BIN = join(REPO, 'bin', 'imsg-sim.js');
/** The compiled bench directory (.bench-build/bench), where helper scripts such as the limit reader live. */
export const BENCH_BUILD = join(REPO, '.bench-build', 'bench');

const made: string[] = [];

/** A temporary directory, removed by cleanupTempDirs() (at the end of the run). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `gw-bench-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Removes the run's temporary directories (kept when BENCH_KEEP=1, for inspection). */
export function cleanupTempDirs(): void {
  if (process.env['BENCH_KEEP'] === '1') {
    process.stdout.write(`kept temporary directories:\n${made.map((d) => `  ${d}`).join('\n')}\n`);
    return;
  }
  for (const dir of made.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
}
