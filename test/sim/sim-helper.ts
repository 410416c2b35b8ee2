/** Tiny line-reading JSON-RPC helper that drives the real `node bin/imsg-sim.js` process. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/imsg-sim.js');

export type Json = Record<string, any>;

/** A fresh temp dir with an initialised database. */
export function tempDb(init = true): { dir: string; db: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsg-sim-'));
  const db = path.join(dir, 'chat.db');
  if (init) runCli(['init', '--db', db]);
  return { dir, db };
}

/** Runs a one-shot CLI command synchronously. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout };
}

export function injectCli(db: string, args: string[]): Json {
  const r = runCli(['inject', '--db', db, ...args]);
  if (r.code !== 0) throw new Error(`inject failed: ${r.stdout}`);
  return JSON.parse(r.stdout) as Json;
}

export interface Line {
  raw: string;
  json?: Json;
  at: number;
}

export class Sim {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  private buf = '';
  private waiters: (() => void)[] = [];
  private nextId = 1;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl = this.buf.indexOf('\n');
      while (nl !== -1) {
        const raw = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        let json: Json | undefined;
        try {
          const v: unknown = JSON.parse(raw);
          if (v && typeof v === 'object') json = v as Json;
        } catch {
          json = undefined;
        }
        this.lines.push(json ? { raw, json, at: Date.now() } : { raw, at: Date.now() });
        nl = this.buf.indexOf('\n');
      }
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w();
    });
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        const ws = this.waiters;
        this.waiters = [];
        for (const w of ws) w();
        resolve({ code, signal });
      });
    });
  }

  static rpc(db: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Sim {
    return new Sim(['rpc', '--db', db, ...extra], env);
  }

  get json(): Json[] {
    return this.lines.filter((l) => l.json).map((l) => l.json!);
  }

  notifications(method = 'message'): Json[] {
    return this.json.filter((j) => j['method'] === method);
  }

  write(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  send(obj: Json): void {
    this.write(JSON.stringify(obj));
  }

  /** Sends a request with a fresh id and resolves with its response (result or error object). */
  /**
   * Resolves once a tail subscription (no since_rowid) answered just before has its starting row:
   * the server takes MAX(ROWID) after the answer (imsg does too: rows in between are missed), two
   * turns of its loop later. Two requests answered one after the other take at least that long.
   */
  async tailStarted(): Promise<void> {
    for (let i = 0; i < 2; i++) await this.request('chats.list', { limit: 1 });
  }

  async request(method: string, params?: Json, timeoutMs = 10_000): Promise<Json> {
    const id = this.nextId++;
    this.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    return this.waitFor((j) => j['id'] === id && !('method' in j), timeoutMs);
  }

  /** Resolves with the first JSON line (from index `from`) matching `pred`. */
  async waitFor(pred: (j: Json) => boolean, timeoutMs = 10_000, from = 0): Promise<Json> {
    return this.waitUntil(() => this.json.slice(from).find(pred), timeoutMs);
  }

  async waitUntil<T>(probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = probe();
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; lines so far:\n${this.lines.map((l) => l.raw).join('\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitCount(n: number, method = 'message', timeoutMs = 10_000): Promise<Json[]> {
    return this.waitUntil(() => {
      const ns = this.notifications(method);
      return ns.length >= n ? ns : undefined;
    }, timeoutMs);
  }

  end(): void {
    this.child.stdin!.end();
  }

  async close(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.end();
    return this.exited;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * `start(db, extra, env)` spawning `imsg-sim rpc` (with `profileArgs` first), every child killed
 * after each test. Call once at the top level of a test file.
 */
export function simStarter(
  profileArgs: string[] = [],
): ((db: string, extra?: string[], env?: NodeJS.ProcessEnv) => Sim) & { track(sim: Sim): Sim } {
  const sims: Sim[] = [];
  afterEach(() => {
    for (const s of sims.splice(0)) s.kill();
  });
  const track = (sim: Sim): Sim => {
    sims.push(sim);
    return sim;
  };
  const start = (db: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Sim =>
    track(Sim.rpc(db, [...profileArgs, ...extra], env));
  return Object.assign(start, { track });
}
