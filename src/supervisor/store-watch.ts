/**
 * Watches the state database's file while the gateway runs (issue 11, item 8). node:sqlite keeps
 * writing to a deleted or replaced file as if nothing happened; the store itself refuses every
 * call once its path no longer names the file it opened (GatewayStore.fileProblem). This watch
 * asks it periodically, so the problem is found even when nothing is being written, says so once
 * at error level with the path and the fix, and gives the status document its `store` field.
 * It also marks the home as having held a store once the store holds something.
 */
import type { Logger } from 'pino';
import type { GatewayStore } from '../store/index.js';
import { noteStoreContent } from '../store/home-store.js';
import { errorText } from '../util/typed-error.js';
import type { AccountStatus } from './status.js';

export interface StoreHealth {
  /**
   * False once the file was deleted or replaced (nothing is recorded any more), or once an fsync of
   * it failed (nothing that relies on a commit goes out).
   */
  ok: boolean;
  path: string;
  /** What went wrong: `vanished` (nothing is recorded) or `fsync-failed` (nothing relying on a commit goes out). */
  kind?: 'vanished' | 'fsync-failed';
  problem: string | null;
  remediation: string | null;
  /** When the problem was found (ISO). */
  since: string | null;
}

export interface StoreWatchOptions {
  store: GatewayStore;
  home: string;
  logger: Logger;
  now: () => number;
}

export class StoreWatch {
  private current: StoreHealth;
  private marking = false;
  private marked = false;

  constructor(private readonly o: StoreWatchOptions) {
    this.current = { ok: true, path: o.store.path, problem: null, remediation: null, since: null };
  }

  get health(): StoreHealth {
    return this.current;
  }

  /** Looks at the file now; logs the first problem found. */
  check(): StoreHealth {
    if (!this.current.ok) return this.current;
    const vanished = this.o.store.fileProblem();
    const problem = vanished ?? this.o.store.durabilityProblem();
    if (problem === undefined) {
      this.markHome();
      return this.current;
    }
    this.current = {
      ok: false,
      kind: vanished ? 'vanished' : 'fsync-failed',
      path: problem.path,
      problem: problem.message,
      remediation: problem.remediation,
      since: new Date(this.o.now()).toISOString(),
    };
    this.o.logger.error(
      { path: problem.path, errorClass: vanished ? 'store-vanished' : 'store-fsync-failed', recovery: problem.recovery },
      errorText({
        message: vanished
          ? `${problem.message}. Writing has stopped: no message is recorded and no cursor advances until this is fixed`
          : problem.message,
        remediation: problem.remediation,
      }),
    );
    return this.current;
  }

  /**
   * The marker says "this home's store held content": written only once that content is on disk
   * (the gateway's commits are fsync'd off the loop), so a power loss can never leave a marker
   * over a store that lost its first rows (the next start would refuse it as emptied).
   */
  private markHome(): void {
    if (this.marked || this.marking) return;
    const failed = (err: unknown) =>
      this.o.logger.warn({ err: (err as Error).message }, 'could not mark the home as holding a state store (retried)');
    try {
      if (!this.o.store.hasContent()) return;
    } catch (err) {
      failed(err);
      return;
    }
    this.marking = true;
    this.o.store
      .durable()
      .then(() => {
        this.marked = noteStoreContent(this.o.home, this.o.store, this.o.now());
      })
      .catch(failed)
      .finally(() => {
        this.marking = false;
      });
  }
}

/** An account of a gateway whose store vanished: degraded, with the store's problem as a reason. */
export function withStoreProblem(account: AccountStatus, health: StoreHealth): AccountStatus {
  if (health.ok || !account.enabled) return account;
  const consequence = health.kind === 'fsync-failed' ? 'no reply is sent' : 'nothing is recorded';
  const message = errorText({ message: `${health.problem ?? 'the state database is gone'}; ${consequence}`, remediation: health.remediation });
  if (account.degradedReasons.some((r) => r.code === 'store-write-failed' && r.message === message)) return account;
  return {
    ...account,
    health: 'degraded',
    degradedReasons: [{ code: 'store-write-failed', message }, ...account.degradedReasons],
  };
}
