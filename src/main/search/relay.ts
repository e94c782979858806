// The embedding relay: the background worker that turns queued `embed` outbox jobs into vectors, one
// engine per unlocked profile. Every path that changes embeddable text ends up here: local edits queue
// a job in their own transaction (jobs.ts), and a periodic sweep queues jobs for whatever lacks a
// current vector for the provider's model (sync pulls, imports, webhook deliveries, a model change),
// so the queue is the single way vectors are made.
//
// A pass: top the queue up from the sweep (bounded, so a million-item re-embed never floods the
// outbox or blocks the event loop), lease a batch of jobs, read each item's text now (a job queued
// for old text embeds the newest), and embed them with one provider call. The vectors, the usage they
// cost and the jobs' completion commit in one transaction: a process killed mid-batch leaves its
// leases behind, which the next process takes back at once (the owner's pid is gone), and the item
// is embedded again without a duplicate (one vector per item and model).
//
// Around each provider call: p-queue paces calls (a sliding window per engine); cockatiel retries
// transient failures with exponential backoff and jitter; a cockatiel circuit breaker per upstream
// (gemini, ollama), persisted in breaker_state by src/main/sync/breaker.ts, stops calls while the
// provider is down. A failed job goes back to the queue with a backoff and becomes a dead letter
// after `jobMaxAttempts`; an open breaker, a refused key or a rate limit (429) gives the leases back
// without counting an attempt; a spent daily budget sends nothing and leases nothing until the next UTC day or a higher
// budget. Nothing is ever dropped.
import { BrokenCircuitError, ExponentialBackoff, handleWhen, retry, type IBackoff } from 'cockatiel';
import PQueue from 'p-queue';
import { ulid } from 'ulid';
import type { EmbeddingStatus } from '../../shared/models';
import type { ErrorInfo } from '../../shared/result';
import type { Db } from '../db/open';
import * as repo from '../db/repos/sync';
import { AppError, toErrorInfo } from '../errors';
import type { Logger } from '../logging';
import { breakerName, createPersistedBreaker, type BreakerName, type PersistedBreaker } from '../sync/breaker';
import {
  assertVaultDims,
  EMBEDDED_KINDS,
  embedItems,
  queuedItem,
  scanMissing,
  vectorsOf,
  type EmbedItem,
} from './embed';
import { EMBED_JOB, EmbedPayload, enqueueSwept, pruneDoneEmbedJobs } from './jobs';
import { modelKey, type EmbeddingProvider } from './providers/port';
import type { EmbeddingConfig } from './settings';
import { budgetLeft, usageToday } from './usage';

/** Tunables; the defaults are production's. */
export interface RelayPorts {
  /** Texts per provider call. */
  batchSize: number;
  /** Provider calls allowed per minute (sliding window). */
  callsPerMinute: number;
  /** Retries inside one call, before the job itself is failed. */
  retries: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  breakerThreshold: number;
  breakerHalfOpenMs: number;
  jobMaxAttempts: number;
  jobRetryInitialDelayMs: number;
  jobRetryMaxDelayMs: number;
  leaseMs: number;
  /** How long an idle engine sleeps before it looks again (a raised budget, a new day, settings). */
  idleMs: number;
  /** How often a sweep looks for items without a current vector. */
  sweepEveryMs: number;
  /** Rows a sweep reads per slice (each slice hashes that many texts, then yields). */
  sweepSlice: number;
  /** The sweep tops the queue up to this many unfinished jobs. */
  queueTarget: number;
  /** Finished jobs are deleted after this long (a re-embed finishes one per item of the vault). */
  keepDoneMs: number;
}

export const DEFAULT_RELAY_PORTS: RelayPorts = {
  batchSize: 64,
  callsPerMinute: 60,
  retries: 2,
  retryInitialDelayMs: 500,
  retryMaxDelayMs: 10_000,
  breakerThreshold: 5,
  breakerHalfOpenMs: 60_000,
  jobMaxAttempts: 8,
  jobRetryInitialDelayMs: 5_000,
  jobRetryMaxDelayMs: 30 * 60_000,
  leaseMs: 5 * 60_000,
  idleMs: 60_000,
  sweepEveryMs: 10 * 60_000,
  sweepSlice: 500,
  queueTarget: 2_000,
  keepDoneMs: 10 * 60_000,
};

export type RelayPause = 'budget' | 'breaker' | 'rate-limited' | 'credentials' | 'no-provider';

export interface DrainReport {
  model: string | null;
  embedded: number;
  /** Characters sent to the provider (after redaction). */
  characters: number;
  calls: number;
  /** Jobs put back for a later attempt, and jobs that became dead letters, in this pass. */
  retried: number;
  dead: number;
  /** Why the pass stopped before the queue was empty, if it did. */
  paused: RelayPause | null;
  /** The failure that stopped the pass, if one did. */
  error: ErrorInfo | null;
}

export interface DrainOptions {
  /** Start a sweep now rather than when the last one is due again (`angel-memory embed`). */
  fresh?: boolean;
  batchSize?: number;
  /** Stop after this many items. */
  maxItems?: number;
  /** Items embedded so far in this pass, after each batch. */
  onProgress?: (embedded: number) => void;
}

export interface RelayDeps {
  session: (profileId: string) => { db: Db };
  /** The profile's embedding settings now, or null without a provider. */
  config: (db: Db) => EmbeddingConfig | null;
  now: () => Date;
  logger: Logger;
  /** Vectors were stored for a profile (the search service drops what it cached about them). */
  onStored?: (profileId: string) => void;
  ports?: Partial<RelayPorts>;
}

interface Sweep {
  model: string;
  kind: number;
  after: number;
}

interface Engine {
  profileId: string;
  db: Db;
  breakers: Map<string, PersistedBreaker>;
  pace: PQueue;
  /** The sweep in progress, if any; the model it sweeps for. */
  sweep: Sweep | null;
  lastSweep: { model: string; at: number } | null;
  running?: Promise<DrainReport>;
  scheduled: boolean;
  /** Aborted when the engine stops: a call waiting for its pacing slot gives up, its jobs go back. */
  abort: AbortController;
  timer?: NodeJS.Timeout;
  wake?: () => void;
  loop?: Promise<void>;
  embedded: number;
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  paused: RelayPause | null;
}

/** A lease owner: this process. Another process's lease is released when that process is gone. */
const OWNER = `pid:${process.pid}:${ulid()}`;
function isDeadOwner(owner: string): boolean {
  const pid = Number(/^pid:(\d+):/.exec(owner)?.[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** The provider is unwell (as opposed to refusing this request): what trips the breaker. */
const isOutage = (err: unknown): boolean =>
  err instanceof AppError && (err.code === 'UNAVAILABLE' || err.code === 'TIMEOUT');

/** How long a batch the provider refused with 429 waits before it is tried again. */
const RATE_LIMIT_PAUSE_MS = 60_000;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createEmbeddingRelay(deps: RelayDeps) {
  const ports: RelayPorts = { ...DEFAULT_RELAY_PORTS, ...deps.ports };
  const log = deps.logger.child({ module: 'embedding' });
  const engines = new Map<string, Engine>();
  const iso = () => deps.now().toISOString();
  const later = (ms: number) => new Date(deps.now().getTime() + ms).toISOString();

  const retryPolicy = retry(
    handleWhen((err) => isOutage(err) || (err instanceof AppError && err.code === 'RATE_LIMITED')),
    {
      maxAttempts: ports.retries,
      backoff: new ExponentialBackoff({ initialDelay: ports.retryInitialDelayMs, maxDelay: ports.retryMaxDelayMs }),
    },
  );

  function engine(profileId: string): Engine {
    const db = deps.session(profileId).db;
    const existing = engines.get(profileId);
    if (existing && existing.db === db) return existing;
    if (existing) for (const b of existing.breakers.values()) b.dispose();
    const e: Engine = {
      profileId,
      db,
      breakers: new Map(),
      pace: new PQueue({ concurrency: 1, intervalCap: ports.callsPerMinute, interval: 60_000, strict: true }),
      sweep: null,
      lastSweep: null,
      scheduled: false,
      abort: new AbortController(),
      embedded: 0,
      lastRunAt: null,
      lastSuccessAt: null,
      lastError: existing?.lastError ?? null,
      paused: null,
    };
    engines.set(profileId, e);
    return e;
  }

  function breaker(e: Engine, upstream: string): PersistedBreaker {
    let b = e.breakers.get(upstream);
    if (!b) {
      b = createPersistedBreaker(e.db, upstream, {
        threshold: ports.breakerThreshold,
        halfOpenAfterMs: ports.breakerHalfOpenMs,
        now: deps.now,
        isFailure: isOutage,
        onChange: (state) => log.info({ profileId: e.profileId, upstream, state }, 'embedding breaker changed'),
      });
      e.breakers.set(upstream, b);
    }
    return b;
  }

  /** One provider call: paced, retried on transient failures, through the upstream's breaker. */
  async function send(e: Engine, provider: EmbeddingProvider, texts: string[]): Promise<Float32Array[]> {
    const b = breaker(e, provider.name);
    return retryPolicy.execute(() =>
      e.pace.add(() => b.policy.execute(() => provider.embed(texts, 'document')), { signal: e.abort.signal }),
    );
  }

  /** cockatiel's exponential backoff (decorrelated jitter), stepped to the job's attempt count. */
  function backoffMs(attempts: number): number {
    let step: IBackoff<unknown> = new ExponentialBackoff({
      initialDelay: ports.jobRetryInitialDelayMs,
      maxDelay: ports.jobRetryMaxDelayMs,
    }).next();
    for (let i = 2; i <= attempts; i++) step = step.next(undefined);
    return step.duration;
  }

  /**
   * Queues jobs for items of `model` without a current vector until the queue holds `queueTarget`
   * jobs or the sweep reaches the end of the tables; a slice at a time, yielding in between.
   */
  async function topUp(e: Engine, model: string): Promise<void> {
    const sweepDue =
      !e.lastSweep || e.lastSweep.model !== model || deps.now().getTime() - e.lastSweep.at >= ports.sweepEveryMs;
    if (e.sweep?.model !== model) e.sweep = sweepDue ? { model, kind: 0, after: 0 } : null;
    let backlog = repo.outboxCounts(e.db, [EMBED_JOB]).backlog;
    while (e.sweep && backlog < ports.queueTarget && e.db.open) {
      const sweep = e.sweep;
      const kind = EMBEDDED_KINDS[sweep.kind]!;
      const { missing, next } = scanMissing(e.db, kind, model, sweep.after, ports.sweepSlice);
      if (missing.length > 0) {
        const now = deps.now();
        backlog += e.db.transaction(() =>
          enqueueSwept(
            e.db,
            missing.map((id) => ({ kind, id })),
            now,
          ),
        )();
      }
      if (next !== null) sweep.after = next;
      else if (sweep.kind + 1 < EMBEDDED_KINDS.length) Object.assign(sweep, { kind: sweep.kind + 1, after: 0 });
      else {
        e.sweep = null;
        e.lastSweep = { model, at: deps.now().getTime() };
      }
      await yieldToLoop();
    }
  }

  async function pass(e: Engine, options: DrainOptions): Promise<DrainReport> {
    const report: DrainReport = {
      model: null,
      embedded: 0,
      characters: 0,
      calls: 0,
      retried: 0,
      dead: 0,
      paused: null,
      error: null,
    };
    const db = e.db;
    e.lastRunAt = iso();
    const config = deps.config(db);
    if (!config) {
      report.paused = 'no-provider';
      return report;
    }
    const { provider } = config;
    assertVaultDims(provider);
    const model = modelKey(provider);
    report.model = model;
    if (options.fresh) e.lastSweep = null;
    pruneDoneEmbedJobs(db, new Date(deps.now().getTime() - ports.keepDoneMs));
    const batchSize = options.batchSize ?? ports.batchSize;
    const max = options.maxItems ?? Number.POSITIVE_INFINITY;
    const b = breaker(e, provider.name);

    while (report.embedded < max && db.open && !e.abort.signal.aborted) {
      if (budgetLeft(db, provider.name, deps.now(), config.dailyCharacters) <= 0) {
        report.paused = 'budget';
        break;
      }
      // Open and not yet due for its probe (cockatiel times the breaker with Date.now()).
      const probe = b.probeAt();
      if (probe && probe.getTime() > Date.now()) {
        report.paused = 'breaker';
        break;
      }
      await topUp(e, model);
      const jobs = repo.leaseJobs(db, {
        kinds: [EMBED_JOB],
        max: Math.min(batchSize, max - report.embedded),
        now: iso(),
        leaseUntil: later(ports.leaseMs),
        owner: OWNER,
        isDeadOwner,
      });
      if (jobs.length === 0) break;
      const todo: { job: repo.OutboxJob; item: EmbedItem }[] = [];
      db.transaction(() => {
        for (const job of jobs) {
          const payload = EmbedPayload.safeParse(job.payload);
          if (!payload.success) {
            repo.failJob(db, job.pk, { error: 'malformed embed job', nextAttemptAt: iso(), dead: true, now: iso() });
            report.dead++;
            continue;
          }
          const q = queuedItem(db, payload.data.kind, payload.data.id, model);
          // Trashed, purged or already current (a sweep and an edit queued it twice): nothing to send.
          if (q.state === 'embed') todo.push({ job, item: q.item });
          else repo.completeJob(db, job.pk, iso());
        }
      })();
      if (todo.length === 0) {
        // Batches with nothing to send cost no I/O wait: let the event loop breathe between them.
        await yieldToLoop();
        continue;
      }
      const byItem = new Map(todo.map((t) => [`${t.item.kind}:${t.item.pk}`, t.job]));
      try {
        const done = await embedItems(
          db,
          provider,
          todo.map((t) => t.item),
          {
            redact: config.redact,
            neverSend: config.neverSend,
            dailyCharacters: config.dailyCharacters,
            now: deps.now,
            send: (texts) => send(e, provider, texts),
            alongside: (stored) => {
              for (const it of stored) {
                const job = byItem.get(`${it.kind}:${it.pk}`)!;
                repo.completeJob(db, job.pk, iso());
                byItem.delete(`${it.kind}:${it.pk}`);
              }
            },
          },
        );
        // What did not fit today's budget was never sent: its leases go back untouched.
        db.transaction(() => {
          for (const job of byItem.values()) repo.releaseJob(db, job.pk, iso(), iso());
        })();
        report.calls += done.calls;
        report.characters += done.characters;
        report.embedded += done.stored.length;
        e.embedded += done.stored.length;
        if (done.stored.length > 0) {
          e.lastSuccessAt = iso();
          e.lastError = null;
          deps.onStored?.(e.profileId);
          options.onProgress?.(report.embedded);
        }
        if (done.paused) {
          report.paused = done.paused;
          break;
        }
      } catch (err) {
        if (!db.open) throw err;
        // Stopped while the call waited for its pacing slot: nothing was sent, the jobs go back.
        if (e.abort.signal.aborted) {
          db.transaction(() => {
            for (const job of byItem.values()) repo.releaseJob(db, job.pk, iso(), iso());
          })();
          break;
        }
        // Whatever failed, the provider is not answering this pass well: the rest waits for the next.
        failed(e, [...byItem.values()], err, report);
        break;
      }
    }
    return report;
  }

  /** Records a failed batch in its jobs and the report. */
  function failed(e: Engine, jobs: repo.OutboxJob[], err: unknown, report: DrainReport): void {
    const db = e.db;
    const release = () =>
      db.transaction(() => {
        for (const job of jobs) repo.releaseJob(db, job.pk, iso(), iso());
      })();
    if (err instanceof BrokenCircuitError) {
      release();
      report.paused = 'breaker';
      report.error = { code: 'UNAVAILABLE', message: 'the embedding provider is failing; its circuit breaker is open' };
      e.lastError = report.error.message;
      return;
    }
    if (!(err instanceof AppError)) {
      release();
      throw err;
    }
    report.error = toErrorInfo(err);
    e.lastError = err.message;
    if (err.code === 'UNAUTHORIZED' || err.code === 'FORBIDDEN') {
      // Nothing will succeed until the user fixes the key: no attempt is counted.
      release();
      report.paused = 'credentials';
      return;
    }
    if (err.code === 'RATE_LIMITED') {
      // The provider is up but wants fewer calls (its per-minute quota): still 429 after the in-call
      // retries, the batch waits a minute without counting an attempt, so a long re-embed on a small
      // quota slows down instead of turning into dead letters.
      db.transaction(() => {
        for (const job of jobs) repo.releaseJob(db, job.pk, later(RATE_LIMIT_PAUSE_MS), iso());
      })();
      report.paused = 'rate-limited';
      return;
    }
    // A transient failure, or a refused batch (bad vectors, a rejected request): each job gets its
    // attempts with a growing backoff, and waits for the user as a dead letter after the last.
    db.transaction(() => {
      for (const job of jobs) {
        const dead = job.attempts + 1 >= ports.jobMaxAttempts;
        repo.failJob(db, job.pk, {
          error: err.message,
          nextAttemptAt: later(backoffMs(job.attempts + 1)),
          dead,
          now: iso(),
        });
        report[dead ? 'dead' : 'retried']++;
      }
    })();
    log.warn({ profileId: e.profileId, code: err.code, jobs: jobs.length }, 'embedding batch failed');
  }

  /** One pass at a time per profile; a request during a pass waits for it and then runs its own. */
  async function drain(profileId: string, options: DrainOptions = {}): Promise<DrainReport> {
    const e = engine(profileId);
    while (e.running) await e.running.catch(() => undefined);
    const running = pass(e, options);
    e.running = running;
    try {
      const report = await running;
      e.paused = report.paused;
      return report;
    } finally {
      e.running = undefined;
    }
  }

  /** How long the scheduler sleeps after a pass. */
  function delayAfter(e: Engine, report: DrainReport): number {
    const now = deps.now().getTime();
    if (report.paused === 'breaker') {
      const probe = e.breakers.get(deps.config(e.db)?.provider.name ?? '')?.probeAt();
      return Math.min(ports.idleMs, Math.max(1_000, (probe?.getTime() ?? now) - now));
    }
    if (report.paused === 'budget') {
      const midnight = new Date(deps.now());
      midnight.setUTCHours(24, 0, 0, 0);
      return Math.min(ports.idleMs, Math.max(1_000, midnight.getTime() - now));
    }
    // A refused key or no provider only change with the settings (which wake the engine).
    if (report.paused === 'credentials' || report.paused === 'no-provider') return ports.idleMs;
    if (report.paused === null && report.error === null && report.embedded > 0) return 0;
    const next = repo.outboxCounts(e.db, [EMBED_JOB]).nextAttemptAt;
    const due = next ? Date.parse(next) - now : ports.idleMs;
    return Math.min(ports.idleMs, Math.max(1_000, due));
  }

  async function loop(e: Engine): Promise<void> {
    while (e.scheduled) {
      let delay = ports.idleMs;
      try {
        delay = delayAfter(e, await drain(e.profileId));
      } catch (err) {
        // Stopped, or the profile was locked or closed under us: stop quietly (the next unlock starts
        // again; a batch cut short went back to the queue).
        if (!e.scheduled || !e.db.open) {
          e.scheduled = false;
          return;
        }
        // Anything else (a provider whose dimension the vault cannot store) waits for the settings
        // to change; the engine keeps looking.
        log.warn({ err, profileId: e.profileId }, 'embedding pass failed');
        e.lastError = toErrorInfo(err).message;
      }
      if (!e.scheduled) return;
      await new Promise<void>((resolve) => {
        e.wake = resolve;
        e.timer = setTimeout(resolve, delay);
        e.timer.unref?.();
      });
      e.wake = undefined;
    }
  }

  function status(profileId: string): EmbeddingStatus {
    const e = engine(profileId);
    const config = deps.config(e.db);
    const counts = repo.outboxCounts(e.db, [EMBED_JOB]);
    const model = config ? modelKey(config.provider) : null;
    const b = config ? breaker(e, config.provider.name) : null;
    const probe = b?.probeAt() ?? null;
    const today = config ? usageToday(e.db, config.provider.name, deps.now()) : { calls: 0, characters: 0 };
    const budget = config?.dailyCharacters ?? null;
    return {
      provider: config ? (config.provider.name as 'gemini' | 'ollama') : null,
      model,
      scheduled: e.scheduled,
      running: e.running !== undefined,
      breaker: b ? breakerName(b.policy.state) : ('closed' satisfies BreakerName),
      backlog: counts.backlog,
      deadLetters: counts.dead,
      nextAttemptAt: probe ? probe.toISOString() : counts.nextAttemptAt,
      today,
      budget: budget === null ? null : { dailyCharacters: budget, remaining: Math.max(0, budget - today.characters) },
      paused: config ? e.paused : 'no-provider',
      progress: {
        embedded: e.embedded,
        vectors: model ? vectorsOf(e.db, model) : 0,
        sweeping: e.sweep !== null,
        lastSweepAt: e.lastSweep ? new Date(e.lastSweep.at).toISOString() : null,
        lastRunAt: e.lastRunAt,
        lastSuccessAt: e.lastSuccessAt,
      },
      lastError: e.lastError,
    };
  }

  function stopEngine(e: Engine): void {
    e.scheduled = false;
    e.abort.abort();
    if (e.timer) clearTimeout(e.timer);
    e.wake?.();
  }

  return {
    drain,
    status,

    /** Starts the background relay for a profile (serve, the app after unlock). */
    start(profileId: string): void {
      const e = engine(profileId);
      if (e.scheduled) return;
      e.scheduled = true;
      if (e.abort.signal.aborted) e.abort = new AbortController();
      e.loop = loop(e);
    },

    async stop(profileId: string): Promise<void> {
      const e = engines.get(profileId);
      if (!e) return;
      stopEngine(e);
      await e.loop;
      await e.running?.catch(() => undefined);
    },

    /** Work was queued or settings changed: let a running engine look now. */
    kick(profileId: string): void {
      const e = engines.get(profileId);
      if (e?.scheduled && e.wake) {
        clearTimeout(e.timer);
        e.timer = setTimeout(() => e.wake?.(), 250);
        e.timer.unref?.();
      }
    },

    /** Forgets a profile's engine (on lock); its relay stops. */
    async forget(profileId: string): Promise<void> {
      const e = engines.get(profileId);
      if (!e) return;
      // Forgotten at once, so a quick unlock again gets a fresh engine that this does not remove.
      engines.delete(profileId);
      stopEngine(e);
      await e.loop;
      await e.running?.catch(() => undefined);
      for (const b of e.breakers.values()) b.dispose();
    },

    /** Stops every engine at once (the core is closing; a batch in flight fails on the closed db). */
    halt(): void {
      for (const e of engines.values()) {
        stopEngine(e);
        for (const b of e.breakers.values()) b.dispose();
      }
      engines.clear();
    },
  };
}

export type EmbeddingRelay = ReturnType<typeof createEmbeddingRelay>;
