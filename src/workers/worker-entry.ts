/**
 * The module piscina loads in each worker thread (compiled to dist/workers/worker-entry.js).
 * One task in, one result out; the protocol is in protocol.ts.
 */
import { Piscina } from 'piscina';
import type { WorkerInit, WorkerTask } from './protocol.js';
import { runTask } from './run-task.js';

export default async function handleTask(task: WorkerTask): Promise<unknown> {
  const init = Piscina.workerData as WorkerInit | undefined;
  return runTask(task, init?.allowTestTasks === true, true);
}
