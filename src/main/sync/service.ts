// The sync service: one engine per unlocked profile, each with its own API client, rate limiter and
// persisted breaker. A pass is pull -> (full: deletion diff and push reconcile) -> push, one at a time
// per profile. The scheduler runs a pass at start (full), then when work is due: every few minutes,
// sooner when the outbox has ready jobs, at the breaker's probe time when it is open, after a gap in
// webhook deliveries, and on demand. Status is kept per profile and pushed as `sync.status` events.
import { BrokenCircuitError } from 'cockatiel';
import { ulid } from 'ulid';
import type { SyncPassReport, SyncStatus } from '../../shared/models';
import type { Db } from '../db/open';
import type { WriteContext } from '../db/repos/audit';
import { findMemory } from '../db/repos/memories';
import { readSetting } from '../db/repos/settings';
import * as repo from '../db/repos/sync';
import { AppError, toErrorInfo } from '../errors';
import type { Logger } from '../logging';
import { breakerName, createPersistedBreaker, type PersistedBreaker } from './breaker';
import { createOmiClient, type Fetch, type OmiClient } from './client';
import { memoryHash } from './hash';
import { pull } from './pull';
import { MEMORY_JOB, push } from './push';
import { ACTION_ITEM_JOB, pushActionItems, reconcileActionItems } from './push-action-items';
import { addPushReports, type PushOptions } from './relay';
import { RateLimiter } from './rate-limiter';

export const DEFAULT_OMI_API_URL = 'https://api.omi.me/v1/dev';
export const OMI_API_URL_ENV = 'ANGEL_MEMORY_OMI_API_URL';
export const OMI_TIMEOUT_ENV = 'ANGEL_MEMORY_OMI_TIMEOUT_MS';

/**
 * Tuning from the environment, for self-hosted backends and the loopback fakes the test suites run
 * (a host passes its env to configure()): request timeout, requests per minute (OMI documents 100),
 * the breaker's half-open delay, the first retry delay (requests and outbox jobs) and how many tries
 * a job gets before it becomes a dead letter.
 */
function tuningFromEnv(env: Record<string, string | undefined>): Partial<SyncPorts> {
  const num = (name: string) => {
    const n = Number(env[name]);
    return env[name] && Number.isFinite(n) && n > 0 ? n : undefined;
  };
  const out: Partial<SyncPorts> = {};
  const timeoutMs = num(OMI_TIMEOUT_ENV);
  if (timeoutMs) out.timeoutMs = timeoutMs;
  const perMinute = num('ANGEL_MEMORY_OMI_RATE_LIMIT');
  if (perMinute) out.rateLimit = { limit: perMinute, windowMs: 60_000 };
  const halfOpen = num('ANGEL_MEMORY_OMI_BREAKER_HALF_OPEN_MS');
  if (halfOpen) out.breakerHalfOpenMs = halfOpen;
  const tries = num('ANGEL_MEMORY_OMI_MAX_TRIES');
  if (tries) out.jobMaxAttempts = Math.floor(tries);
  const retry = num('ANGEL_MEMORY_OMI_RETRY_DELAY_MS');
  if (retry) {
    Object.assign(out, {
      retryInitialDelayMs: retry,
      retryMaxDelayMs: retry * 20,
      jobRetryInitialDelayMs: retry,
      jobRetryMaxDelayMs: retry * 100,
    });
  }
  return out;
}
const UPSTREAM = 'omi';
/** Every outbox job kind the OMI relays run. */
const JOB_KINDS = [MEMORY_JOB, ACTION_ITEM_JOB];

/** Tunables and the outside world, all injectable; the defaults are production's. */
export interface SyncPorts {
  fetch: Fetch;
  /** Waits used by the rate limiter (tests pass one that advances a fake clock). */
  sleep: (ms: number) => Promise<void>;
  env: Record<string, string | undefined>;
  /** null switches our pacing off (benchmarks against a fake without limits). */
  rateLimit: { limit: number; windowMs: number } | null;
  timeoutMs: number;
  retries: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  breakerThreshold: number;
  breakerHalfOpenMs: number;
  jobMaxAttempts: number;
  jobRetryInitialDelayMs: number;
  jobRetryMaxDelayMs: number;
  leaseMs: number;
  intervalMs: number;
  fullEveryMs: number;
  webhookGapMs: number;
  memoryPage: number;
  conversationPage: number;
  actionItemPage: number;
}

export const DEFAULT_SYNC_PORTS: SyncPorts = {
  fetch: (input, init) => fetch(input, init),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  env: {},
  rateLimit: { limit: 100, windowMs: 60_000 },
  timeoutMs: 30_000,
  retries: 2,
  retryInitialDelayMs: 500,
  retryMaxDelayMs: 10_000,
  breakerThreshold: 5,
  breakerHalfOpenMs: 60_000,
  jobMaxAttempts: 10,
  jobRetryInitialDelayMs: 5_000,
  jobRetryMaxDelayMs: 30 * 60_000,
  leaseMs: 5 * 60_000,
  intervalMs: 5 * 60_000,
  fullEveryMs: 6 * 60 * 60_000,
  webhookGapMs: 10 * 60_000,
  memoryPage: 100,
  conversationPage: 25,
  actionItemPage: 100,
};

export interface SyncServiceDeps {
  session: (profileId: string) => { db: Db };
  now: () => Date;
  logger: Logger;
  emit: (profileId: string, status: SyncStatus) => void;
  ports?: Partial<SyncPorts>;
}

interface Engine {
  profileId: string;
  db: Db;
  limiter: RateLimiter;
  breaker: PersistedBreaker;
  client?: { key: string; url: string; timeoutMs: number; api: OmiClient };
  running?: Promise<SyncPassReport>;
  scheduled: boolean;
  timer?: NodeJS.Timeout;
  wake?: () => void;
  loop?: Promise<void>;
  lastError: string | null;
  lastWebhookAt?: number;
  fullDue: boolean;
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

/** Queues a push of one memory. Called inside the transaction of the local change. */
export function enqueueMemorySync(db: Db, memoryId: string, reason: string, now: string): void {
  // Without a key nothing is queued; switching sync on later pushes unsynced memories in the first
  // full pass (see reconcile below), so no change is left behind.
  if (readSetting(db, 'omi.apiKey') === undefined) return;
  repo.enqueueJob(
    db,
    {
      kind: MEMORY_JOB,
      entity: `memory:${memoryId}`,
      idempotencyKey: `memory:${memoryId}:${reason}:${ulid()}`,
      payload: { memoryId, reason },
    },
    now,
  );
}

export function createSyncService(deps: SyncServiceDeps) {
  const ports: SyncPorts = {
    ...DEFAULT_SYNC_PORTS,
    ...deps.ports,
    ...(deps.ports?.env ? tuningFromEnv(deps.ports.env) : {}),
  };
  const log = deps.logger.child({ module: 'sync' });
  const engines = new Map<string, Engine>();
  const iso = () => deps.now().toISOString();
  const ctx: WriteContext = { now: deps.now, actor: 'sync' };

  function engine(profileId: string): Engine {
    const db = deps.session(profileId).db;
    const existing = engines.get(profileId);
    if (existing && existing.db === db) return existing;
    existing?.breaker.dispose();
    const e: Engine = {
      profileId,
      db,
      limiter: new RateLimiter({
        limit: ports.rateLimit?.limit ?? Number.MAX_SAFE_INTEGER,
        windowMs: ports.rateLimit?.windowMs ?? 60_000,
        now: () => deps.now().getTime(),
        sleep: ports.sleep,
      }),
      breaker: createPersistedBreaker(db, UPSTREAM, {
        threshold: ports.breakerThreshold,
        halfOpenAfterMs: ports.breakerHalfOpenMs,
        now: deps.now,
        onChange: (state) => {
          log.info({ profileId, state }, 'OMI breaker changed');
          publish(e);
        },
      }),
      // A replaced engine's loop ends on its closed database; start() runs a new one for this one.
      scheduled: false,
      lastError: existing?.lastError ?? null,
      fullDue: true,
    };
    engines.set(profileId, e);
    return e;
  }

  function config(e: Engine): { key: string; url: string; timeoutMs: number } | null {
    const key = readSetting(e.db, 'omi.apiKey');
    if (typeof key !== 'string') return null;
    const setting = readSetting(e.db, 'omi.apiUrl');
    const url = ports.env[OMI_API_URL_ENV] || (typeof setting === 'string' ? setting : DEFAULT_OMI_API_URL);
    return { key, url, timeoutMs: ports.timeoutMs };
  }

  function client(e: Engine): OmiClient {
    const c = config(e);
    if (!c) throw new AppError('UNAUTHORIZED', 'OMI sync is not configured: set omi.apiKey for this profile');
    if (!e.client || e.client.key !== c.key || e.client.url !== c.url || e.client.timeoutMs !== c.timeoutMs) {
      const api = createOmiClient({
        baseUrl: c.url,
        apiKey: c.key,
        fetch: ports.fetch,
        limiter: e.limiter,
        breaker: e.breaker,
        timeoutMs: c.timeoutMs,
        retries: ports.retries,
        retryInitialDelayMs: ports.retryInitialDelayMs,
        retryMaxDelayMs: ports.retryMaxDelayMs,
      });
      e.client = { ...c, api };
    }
    return e.client.api;
  }

  function status(e: Engine): SyncStatus {
    const counts = repo.outboxCounts(e.db, JOB_KINDS);
    const probe = e.breaker.probeAt();
    const next = [counts.nextAttemptAt, probe?.toISOString() ?? null].filter((x): x is string => x !== null).sort();
    return {
      configured: config(e) !== null,
      running: e.running !== undefined,
      scheduled: e.scheduled,
      breaker: breakerName(e.breaker.policy.state),
      backlog: counts.backlog,
      deadLetters: counts.dead,
      conflicts: repo.listConflicts(e.db).length,
      lastSuccessAt: repo.readSyncState(e.db, 'omi.lastSuccessAt') ?? null,
      lastAttemptAt: repo.readSyncState(e.db, 'omi.lastAttemptAt') ?? null,
      nextAttemptAt: probe ? probe.toISOString() : (next[0] ?? null),
      lastError: e.lastError,
      rate: e.limiter.headroom(),
    };
  }

  function publish(e: Engine): void {
    if (!e.db.open) return;
    try {
      deps.emit(e.profileId, status(e));
    } catch (err) {
      log.warn({ err }, 'sync status not published');
    }
  }

  /** Push work for memories and action items changed while sync had no key, or whose job was lost. */
  function reconcile(e: Engine): void {
    const now = iso();
    e.db.transaction(() => {
      reconcileActionItems(e.db, now);
      for (const id of repo.unsyncedMemories(e.db)) {
        const link = repo.memoryLink(e.db, id);
        const memory = findMemory(e.db, id);
        // Edited once but pushed since: nothing to do.
        if (link?.remoteId && !link.remoteDeletedAt && memory && !memory.deletedAt) {
          if (memoryHash(memory) === link.remoteHash) continue;
        }
        repo.enqueueJob(
          e.db,
          {
            kind: MEMORY_JOB,
            entity: `memory:${id}`,
            idempotencyKey: `memory:${id}:reconcile:${now}`,
            payload: { memoryId: id, reason: 'reconcile' },
          },
          now,
        );
      }
    })();
  }

  async function pass(e: Engine, full: boolean): Promise<SyncPassReport> {
    const startedAt = iso();
    const report: SyncPassReport = {
      ok: false,
      full,
      startedAt,
      finishedAt: startedAt,
      pull: null,
      push: null,
      errors: [],
    };
    const fail = (part: string, err: unknown) => {
      const probe = e.breaker.probeAt();
      const info =
        err instanceof BrokenCircuitError
          ? {
              code: 'UNAVAILABLE' as const,
              message: `the OMI circuit breaker is open${probe ? ` until ${probe.toISOString()}` : ''}`,
            }
          : toErrorInfo(err);
      if (info.code === 'INTERNAL') log.error({ err, part }, 'sync part failed');
      report.errors.push({ part, ...info });
    };
    let api: OmiClient;
    try {
      api = client(e);
    } catch (err) {
      fail('config', err);
      return finish(e, report);
    }
    repo.writeSyncState(e.db, 'omi.lastAttemptAt', startedAt, startedAt);
    try {
      report.pull = await pull(e.db, api, ctx, {
        full,
        memoryPage: ports.memoryPage,
        conversationPage: ports.conversationPage,
        actionItemPage: ports.actionItemPage,
      });
      if (full) reconcile(e);
    } catch (err) {
      fail('pull', err);
    }
    try {
      const options: PushOptions = {
        owner: OWNER,
        leaseMs: ports.leaseMs,
        maxAttempts: ports.jobMaxAttempts,
        retryInitialDelayMs: ports.jobRetryInitialDelayMs,
        retryMaxDelayMs: ports.jobRetryMaxDelayMs,
        lookupMarginMs: 10 * 60_000,
        lookupPage: ports.memoryPage,
        isDeadOwner,
      };
      // Each relay pauses on its own: a key may hold action_items:write without memories:write, and an
      // open breaker stops the second one before it sends anything.
      const memories = await push(e.db, api, ctx, options);
      const actionItems = await pushActionItems(e.db, api, ctx, { ...options, lookupPage: ports.actionItemPage });
      report.push = addPushReports(memories, actionItems);
      if (report.push.paused) report.errors.push({ part: 'push', code: 'UNAVAILABLE', message: report.push.paused });
    } catch (err) {
      fail('push', err);
    }
    return finish(e, report);
  }

  function finish(e: Engine, report: SyncPassReport): SyncPassReport {
    report.finishedAt = iso();
    // Work left waiting for a retry is a failure of this pass; jobs held by a conflict are not (the
    // conflict is listed for the user instead).
    const waiting = repo.waitingJobs(e.db, JOB_KINDS);
    report.ok = report.errors.length === 0 && waiting === 0 && (report.push?.dead ?? 0) === 0;
    if (report.ok) {
      repo.writeSyncState(e.db, 'omi.lastSuccessAt', report.finishedAt, report.finishedAt);
      if (report.full) repo.writeSyncState(e.db, 'omi.lastFullAt', report.finishedAt, report.finishedAt);
      e.lastError = null;
    } else {
      e.lastError =
        report.errors.map((x) => `${x.part}: ${x.message}`).join('; ') ||
        `${waiting} job(s) waiting for a retry, ${report.push?.dead ?? 0} dead-lettered`;
    }
    log.info({ profileId: e.profileId, ok: report.ok, full: report.full, errors: report.errors.length }, 'sync pass');
    return report;
  }

  /** One pass at a time per profile; a request during a pass waits for it and then runs its own. */
  async function run(profileId: string, full: boolean): Promise<SyncPassReport> {
    const e = engine(profileId);
    while (e.running) await e.running.catch(() => undefined);
    const running = pass(e, full);
    e.running = running;
    try {
      return await running;
    } finally {
      e.running = undefined;
      publish(e);
    }
  }

  function fullDue(e: Engine): boolean {
    if (e.fullDue) return true;
    const last = repo.readSyncState(e.db, 'omi.lastFullAt');
    return !last || deps.now().getTime() - Date.parse(last) >= ports.fullEveryMs;
  }

  /** How long the scheduler sleeps after a pass. */
  function delayAfter(e: Engine, report: SyncPassReport): number {
    const now = deps.now().getTime();
    const probe = e.breaker.probeAt();
    if (probe) return Math.max(1_000, probe.getTime() - now);
    if (report.errors.some((x) => x.part === 'config' || x.code === 'UNAUTHORIZED' || x.code === 'FORBIDDEN')) {
      return ports.intervalMs;
    }
    const next = repo.outboxCounts(e.db, JOB_KINDS).nextAttemptAt;
    const due = next ? Date.parse(next) - now : ports.intervalMs;
    return Math.min(ports.intervalMs, Math.max(1_000, due));
  }

  async function loop(e: Engine): Promise<void> {
    while (e.scheduled) {
      let delay = ports.intervalMs;
      try {
        const full = fullDue(e);
        const report = await run(e.profileId, full);
        if (full && report.ok) e.fullDue = false;
        delay = delayAfter(e, report);
      } catch (err) {
        // The profile was locked or closed under us: stop quietly, the next unlock starts again.
        log.warn({ err, profileId: e.profileId }, 'sync scheduler stopped');
        e.scheduled = false;
        return;
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

  return {
    /** Changes ports (a host's env, tests); engines are rebuilt with them on next use. */
    configure(partial: Partial<SyncPorts>): void {
      Object.assign(ports, partial, partial.env ? tuningFromEnv(partial.env) : {});
      for (const e of engines.values()) {
        e.client = undefined;
        if (!e.scheduled) {
          e.breaker.dispose();
          engines.delete(e.profileId);
        }
      }
    },

    status: (profileId: string): SyncStatus => status(engine(profileId)),

    run,

    /** Starts the scheduler for a profile (serve, the app after unlock). */
    start(profileId: string): void {
      const e = engine(profileId);
      if (e.scheduled) return;
      e.scheduled = true;
      e.fullDue = true;
      e.loop = loop(e);
    },

    async stop(profileId: string): Promise<void> {
      const e = engines.get(profileId);
      if (!e) return;
      e.scheduled = false;
      if (e.timer) clearTimeout(e.timer);
      e.wake?.();
      await e.loop;
      await e.running?.catch(() => undefined);
    },

    /** Local work was queued: let a scheduled engine push it soon. */
    kick(profileId: string): void {
      const e = engines.get(profileId);
      if (e?.scheduled && e.wake) {
        clearTimeout(e.timer);
        e.timer = setTimeout(() => e.wake?.(), 250);
        e.timer.unref?.();
      }
    },

    /** A webhook arrived; after a long silence some may have been lost, so reconcile now. */
    noteWebhook(profileId: string): void {
      const e = engines.get(profileId);
      if (!e) return;
      const now = deps.now().getTime();
      const gap = e.lastWebhookAt === undefined ? Infinity : now - e.lastWebhookAt;
      e.lastWebhookAt = now;
      if (gap >= ports.webhookGapMs && e.scheduled) e.wake?.();
    },

    deadLetters: (profileId: string, q: { limit: number; offset: number }) =>
      repo.listDeadLetters(engine(profileId).db, q),

    retry(profileId: string, ids: number[] | undefined): { retried: number } {
      const e = engine(profileId);
      const retried = repo.retryDeadLetters(e.db, ids ?? 'all', iso());
      publish(e);
      this.kick(profileId);
      return { retried };
    },

    conflicts: (profileId: string) => repo.listConflicts(engine(profileId).db),

    /** Forgets a profile's engine (on lock); its scheduler stops. */
    async forget(profileId: string): Promise<void> {
      await this.stop(profileId);
      engines.get(profileId)?.breaker.dispose();
      engines.delete(profileId);
    },

    /** Stops every scheduler at once (the core is closing; a pass in flight fails on the closed db). */
    halt(): void {
      for (const e of engines.values()) {
        e.scheduled = false;
        if (e.timer) clearTimeout(e.timer);
        e.wake?.();
        e.breaker.dispose();
      }
      engines.clear();
    },

    async closeAll(): Promise<void> {
      for (const id of [...engines.keys()]) await this.forget(id);
    },
  };
}

export type SyncService = ReturnType<typeof createSyncService>;
