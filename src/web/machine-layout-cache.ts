/**
 * The laid-out diagram: the one laid out at build time when it is this graph's
 * (machine-layout-prebuilt.ts), else computed once per machine definition per process, on the first request for
 * it (GET /api/machine/layout: an idle gateway nobody watches never pays for it), in a worker thread
 * (machine-layout-worker.ts) so elkjs never blocks the gateway's event loop. When the compiled
 * worker is missing (sources run before a build), the layout runs in this thread.
 *
 * elkjs is imported only there: loaded in the gateway's thread it added about 4 MB of source and a
 * large graph of compiled code to the live heap, which every mark-compact walks (pauses of 10-20 ms
 * in a burst).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MachineGraph } from '../supervisor/control-backend.js';
import type { MachineLayout } from './machine-layout.js';
import { readPrebuiltLayout } from './machine-layout-prebuilt.js';

const cache = new Map<string, Promise<MachineLayout>>();
let started = 0;

/** How many layouts this process has computed (a worker each): none until a page asks for the diagram, none for a prebuilt one. */
export function layoutsStarted(): number {
  return started;
}

/** dist/web/machine-layout-worker.js beside this module, or the repository's dist/ when run from src/. */
function workerFile(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'machine-layout-worker.js'), resolve(here, '..', '..', 'dist', 'web', 'machine-layout-worker.js')];
  return candidates.find((file) => existsSync(file));
}

function inWorker(file: string, graph: MachineGraph): Promise<MachineLayout> {
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(file, { workerData: graph });
    worker.unref();
    worker.once('message', (answer: { layout?: MachineLayout; error?: string }) => {
      void worker.terminate();
      if (answer.layout) resolvePromise(answer.layout);
      else reject(new Error(`machine diagram layout failed: ${answer.error ?? 'no answer'}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the layout worker exited with code ${code}`)));
  });
}

export function cachedMachineLayout(graph: MachineGraph, prebuiltFile?: string): Promise<MachineLayout> {
  const key = JSON.stringify(graph);
  let layout = cache.get(key);
  if (!layout) {
    const prebuilt = readPrebuiltLayout(graph, prebuiltFile);
    if (prebuilt) {
      layout = Promise.resolve(prebuilt);
      cache.set(key, layout);
      return layout;
    }
    const file = workerFile();
    started++;
    layout = file ? inWorker(file, graph) : import('./machine-layout.js').then(({ layoutMachine }) => layoutMachine(graph));
    layout.catch(() => cache.delete(key)); // a failed layout is tried again at the next request
    cache.set(key, layout);
  }
  return layout;
}
