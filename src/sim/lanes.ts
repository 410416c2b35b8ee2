import { descriptorOf } from './v1-methods.js';

/**
 * The imsg 0.14+ request scheduler (current spec section 4): a FIFO mutation lane, a read lane
 * running up to 4 at once, and a FIFO control lane; at most 128 requests outstanding across all
 * lanes (queued plus running).
 */
export type Lane = 'mutation' | 'read' | 'control';

export const OUTSTANDING_LIMIT = 128;
export const READ_CONCURRENCY = 4;

type Job = () => Promise<void>;

class Queue {
  private readonly waiting: Job[] = [];
  private running = 0;

  constructor(
    private readonly concurrency: number,
    private readonly done: () => void,
  ) {}

  push(job: Job): void {
    this.waiting.push(job);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.running++;
      void job()
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          this.done();
          this.pump();
        });
    }
  }
}

export class LaneScheduler {
  private outstanding = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly lanes: Record<Lane, Queue>;

  constructor(limit = OUTSTANDING_LIMIT) {
    this.limit = limit;
    const done = (): void => {
      this.outstanding--;
      if (this.outstanding === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    this.lanes = {
      mutation: new Queue(1, done),
      read: new Queue(READ_CONCURRENCY, done),
      control: new Queue(1, done),
    };
  }

  private readonly limit: number;

  /** Admits a job, or returns false when 128 are already outstanding (the caller answers -32000). */
  submit(lane: Lane, job: Job): boolean {
    if (this.outstanding >= this.limit) return false;
    this.outstanding++;
    this.lanes[lane].push(job);
    return true;
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

/** Lane by method descriptor; unknown methods and bad lines go to control. */
export function laneOf(method: string): Lane {
  return descriptorOf(method)?.lane ?? 'control';
}
