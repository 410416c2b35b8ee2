/**
 * Worker-thread entry: lays out one machine graph with elkjs (seconds of CPU on a busy host) off the
 * gateway's event loop, so supervision timers and the API keep running meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MachineGraph } from '../supervisor/control-backend.js';
import { layoutMachine } from './machine-layout.js';

layoutMachine(workerData as MachineGraph).then(
  (layout) => parentPort?.postMessage({ layout }),
  (err: unknown) => parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) }),
);
