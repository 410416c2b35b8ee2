/**
 * Keeps the benchmark from rotting: builds the gateway (dist/) and the bench (.bench-build/), runs
 * `node .bench-build/bench/run.js --quick` into a temporary results directory (docs untouched) and
 * checks that every scenario printed a figure (or said why it is not available) and that the
 * results JSON parses. No timing assertions: figures depend on the machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..', '..');

function tsc(project: string): void {
  // Type errors elsewhere in a tree under construction must not hide the bench: tsc emits anyway,
  // and what matters here is that the files exist.
  spawnSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: REPO, encoding: 'utf8' });
}

describe('bench --quick', () => {
  it('runs every scenario and writes parseable results', () => {
    tsc('tsconfig.build.json');
    tsc('tsconfig.bench.json');
    const runJs = join(REPO, '.bench-build', 'bench', 'run.js');
    expect(existsSync(runJs)).toBe(true);
    const out = mkdtempSync(join(tmpdir(), 'gw-bench-test-'));
    const r = spawnSync(process.execPath, [runJs, '--quick', '--out', out, '--no-docs'], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 100_000,
    });
    const stdout = r.stdout ?? '';
    expect(r.status, `${stdout}\n${r.stderr}`).toBe(0);

    for (let n = 1; n <= 8; n++) {
      const section = stdout.split(`\n[${n}] `)[1]?.split('\n[')[0];
      expect(section, `scenario ${n} printed nothing:\n${stdout}`).toBeDefined();
      // A figure (a number) or an explicit "not available yet: <why>".
      expect(section!, `scenario ${n}:\n${section}`).toMatch(/: -?\d[\d,.]*|not available yet: \S/);
      expect(section!, `scenario ${n}:\n${section}`).not.toMatch(/^\s+failed:/m);
    }

    const files = readdirSync(out).filter((f) => f.endsWith('-quick.json'));
    expect(files).toHaveLength(1);
    const report = JSON.parse(readFileSync(join(out, files[0]!), 'utf8')) as {
      mode: string;
      scenarios: Array<{ scenario: number; rows: Array<{ value: number | null; status: string }> }>;
    };
    expect(report.mode).toBe('quick');
    expect(report.scenarios.map((s) => s.scenario)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const s of report.scenarios) {
      expect(s.rows.length).toBeGreaterThan(0);
      for (const row of s.rows) {
        if (row.status === 'not available') continue;
        expect(row.status).not.toBe('failed');
        expect(typeof row.value === 'number' || row.status === 'info').toBe(true);
      }
    }
  }, 150_000);
});
