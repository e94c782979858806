// What every outbox relay for OMI shares (memories in push.ts, action items in push-action-items.ts):
// the options and report of a push, leasing, finishing jobs, and the failure policy. Transient
// failures (5xx, network, timeout, 429) go back to the queue with exponential backoff and jitter and
// become dead letters after `maxAttempts`; a permanent 4xx (validation) is a dead letter at once; an
// open breaker, a refused key or a 404 from a list or create endpoint (a wrong base URL) releases the
// leases without counting an attempt and pauses the relay, so nothing is ever dropped.
import { BrokenCircuitError, ExponentialBackoff, type IBackoff } from 'cockatiel';
import type { Db } from '../db/open';
import type { WriteContext } from '../db/repos/audit';
import * as repo from '../db/repos/sync';
import { OmiApiError } from './errors';

export interface PushOptions {
  owner: string;
  leaseMs: number;
  maxAttempts: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  /** How far back (ms) a lookup for an unconfirmed create reads OMI's newest items. */
  lookupMarginMs: number;
  lookupPage: number;
  isDeadOwner: (owner: string) => boolean;
}

export interface PushReport {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  /** Creates found on OMI after their answer was lost, and linked instead of sent again. */
  adopted: number;
  retried: number;
  dead: number;
  /** Why the relay stopped early, if it did (breaker open, key refused). */
  paused: string | null;
}

export type Count = keyof Omit<PushReport, 'paused'>;

export const emptyPushReport = (): PushReport => ({
  created: 0,
  updated: 0,
  deleted: 0,
  unchanged: 0,
  adopted: 0,
  retried: 0,
  dead: 0,
  paused: null,
});

/** Adds one relay's counts to another's (a pass reports memories and action items together). */
export function addPushReports(a: PushReport, b: PushReport): PushReport {
  const sum = emptyPushReport();
  for (const k of Object.keys(sum) as Count[]) sum[k] = a[k] + b[k];
  sum.paused = a.paused ?? b.paused;
  return sum;
}

/** Pauses the whole relay: nothing will succeed until the breaker closes or the key is fixed. */
export class Pause extends Error {}

export function createRelay(db: Db, ctx: WriteContext, options: PushOptions, report: PushReport) {
  const now = () => ctx.now().toISOString();
  const later = (ms: number) => new Date(ctx.now().getTime() + ms).toISOString();

  /** cockatiel's exponential backoff (decorrelated jitter), stepped to the job's attempt count. */
  function backoffMs(attempts: number): number {
    let b: IBackoff<unknown> = new ExponentialBackoff({
      initialDelay: options.retryInitialDelayMs,
      maxDelay: options.retryMaxDelayMs,
    }).next();
    for (let i = 2; i <= attempts; i++) b = b.next(undefined);
    return b.duration;
  }

  return {
    now,
    later,

    done: (job: repo.OutboxJob, count: Count): void => {
      repo.completeJob(db, job.pk, now());
      report[count]++;
    },

    failed: (job: repo.OutboxJob, err: unknown): void => {
      if (err instanceof BrokenCircuitError) throw new Pause('the OMI circuit breaker is open');
      if (!(err instanceof OmiApiError)) throw err;
      if (err.credentials) throw new Pause(err.message);
      // The 404s a job can expect (an edited or deleted item gone from OMI) are handled where they
      // occur; a 404 from a list or create endpoint means a wrong base URL, not a bad job.
      if (err.kind === 'not_found') throw new Pause(err.message);
      const dead = !err.transient || job.attempts + 1 >= options.maxAttempts;
      repo.failJob(db, job.pk, {
        error: err.message,
        nextAttemptAt: later(backoffMs(job.attempts + 1)),
        dead,
        now: now(),
      });
      report[dead ? 'dead' : 'retried']++;
    },

    /**
     * Leases batches of ready jobs of one kind and hands each to `handle` until none is left. A Pause
     * gives back every lease still held (they run on the next pass) and is noted in the report.
     */
    async drain(kind: string, handle: (jobs: repo.OutboxJob[]) => Promise<void>): Promise<void> {
      let leased: repo.OutboxJob[] = [];
      try {
        for (;;) {
          leased = repo.leaseJobs(db, {
            kinds: [kind],
            max: 100,
            now: now(),
            leaseUntil: later(options.leaseMs),
            owner: options.owner,
            isDeadOwner: options.isDeadOwner,
          });
          if (leased.length === 0) break;
          await handle(leased);
          leased = [];
        }
      } catch (err) {
        const ready = now();
        // Jobs already finished are not 'leased' any more; releaseJob leaves them alone.
        for (const job of leased) repo.releaseJob(db, job.pk, ready, ready);
        if (err instanceof Pause) report.paused = err.message;
        else throw err;
      }
    },
  };
}
