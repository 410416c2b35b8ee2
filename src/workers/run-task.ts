/**
 * Executes one task of the wire protocol. The worker entry calls it on a worker thread; the pool
 * calls it on the event loop for inline chunking and in disabled mode, so both paths run the
 * same code.
 */
import { chunkText } from './chunk-text.js';
import { WorkerErrors } from './errors.js';
import { ingestAttachment } from './ingest-attachment.js';
import type { TaskKind, TaskResults, WorkerTask } from './protocol.js';

export async function runTask<K extends TaskKind>(
  task: Extract<WorkerTask, { kind: K }>,
  allowTestTasks: boolean,
  onWorkerThread: boolean,
): Promise<TaskResults[K]> {
  return (await dispatch(task, allowTestTasks, onWorkerThread)) as TaskResults[K];
}

async function dispatch(task: WorkerTask, allowTestTasks: boolean, onWorkerThread: boolean): Promise<unknown> {
  switch (task.kind) {
    case 'chunk':
      return chunkText(task.text, task.limit);
    case 'ingest':
      return ingestAttachment(task.req);
    case 'sleep': {
      if (!allowTestTasks) throw WorkerErrors.testTaskNotAllowed(task.kind);
      const start = Date.now();
      if (!onWorkerThread) {
        await new Promise((resolve) => setTimeout(resolve, task.ms));
        return { sleptMs: Date.now() - start };
      }
      // Busy on a worker: the thread really is stuck, as a runaway task would be.
      while (Date.now() - start < task.ms) {
        /* spin */
      }
      return { sleptMs: Date.now() - start };
    }
    case 'throw':
      if (!allowTestTasks) throw WorkerErrors.testTaskNotAllowed(task.kind);
      throw new Error(task.message);
    default:
      throw WorkerErrors.unknownTask((task as { kind: string }).kind);
  }
}
