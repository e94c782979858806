// In-memory time series for the debug page's charts (DESIGN.md §10): every unlocked profile gets one
// sample per interval (10 s by default) in a ring buffer that keeps the last hour. A sample holds the
// webhook ingest latency (p50/p99 of the inbox rows' handling_ms written since the previous sample,
// the newest few thousand of them) and the queue depths: outbox backlog by job kind (embedding jobs
// included) and the transcript segments not yet in the keyword index. Nothing is persisted: a
// restart starts a fresh series. Backlogs can be large (a re-embed, an import) and the outbox has no
// index by kind, so they are counted in rowid ranges with a turn of the event loop between them
// (the 50 ms rule).
import type { MetricsSample } from '../../shared/models';
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { EMBED_JOB } from '../search/jobs';

export const METRICS_INTERVAL_MS = 10_000;
/** One hour of samples at the default interval. */
export const METRICS_CAPACITY = 360;
/** Latencies read per sample at most; a larger burst is represented by its newest rows. */
const MAX_LATENCY_ROWS = 5_000;
/** Rowids counted per event-loop turn (a few milliseconds each). */
const RANGE = 10_000;

export interface MetricsDeps {
  now(): Date;
  /** The open database of an unlocked profile; undefined once it is locked. */
  open(profileId: string): Db | undefined;
  intervalMs?: number;
  capacity?: number;
}

interface Series {
  samples: MetricsSample[];
  /** The next write position once the ring is full. */
  next: number;
  /** The last inbox row already counted into a latency sample. */
  inboxPk: number;
}

/** The q-quantile (0..1) of ascending values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function createMetrics(deps: MetricsDeps) {
  const capacity = deps.capacity ?? METRICS_CAPACITY;
  const intervalMs = deps.intervalMs ?? METRICS_INTERVAL_MS;
  const series = new Map<string, Series>();
  let timer: NodeJS.Timeout | undefined;

  /**
   * Sums `sql` (rows of `k`, `n` for the rowids BETWEEN its two parameters) over lo..hi in ranges of
   * RANGE rowids, with a turn of the event loop between ranges.
   */
  async function rangeCounts(db: Db, sql: string, lo: number, hi: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const range = stmt(db, sql);
    for (let from = lo; from <= hi; from += RANGE) {
      if (from > lo) await new Promise((resolve) => setImmediate(resolve));
      if (!db.open) throw new Error('the profile was locked while it was sampled');
      for (const r of range.all(from, Math.min(hi, from + RANGE - 1)) as { k: string; n: number }[]) {
        counts[r.k] = (counts[r.k] ?? 0) + r.n;
      }
    }
    return counts;
  }

  /** Pending and leased jobs by kind. */
  async function outboxBacklog(db: Db): Promise<Record<string, number>> {
    // Two subqueries: each is one b-tree probe (min and max in one query would scan the table).
    const { lo, hi } = stmt(
      db,
      'SELECT (SELECT min(pk) FROM outbox) AS lo, (SELECT max(pk) FROM outbox) AS hi',
    ).get() as {
      lo: number | null;
      hi: number | null;
    };
    if (lo === null || hi === null) return {};
    const counts = await rangeCounts(
      db,
      // NOT INDEXED: the state index would be walked whole for every range; the rowid range is cheap.
      `SELECT kind AS k, count(*) AS n FROM outbox NOT INDEXED
       WHERE pk BETWEEN ? AND ? AND state IN ('pending', 'leased') GROUP BY kind`,
      lo,
      hi,
    );
    return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Segments above the search index's watermark plus the stale ones it still has to remove. */
  async function segmentBacklog(db: Db): Promise<number> {
    const { lo, hi, stale } = stmt(
      db,
      `SELECT (SELECT indexed_through FROM segment_index_state WHERE id = 1) + 1 AS lo,
              (SELECT max(pk) FROM transcript_segments) AS hi,
              (SELECT count(*) FROM segment_index_stale) AS stale`,
    ).get() as { lo: number | null; hi: number | null; stale: number };
    if (lo === null || hi === null || hi < lo) return stale;
    const pending = await rangeCounts(
      db,
      "SELECT 'pending' AS k, count(*) AS n FROM transcript_segments WHERE pk BETWEEN ? AND ?",
      lo,
      hi,
    );
    return (pending.pending ?? 0) + stale;
  }

  async function take(profileId: string, db: Db): Promise<MetricsSample> {
    let s = series.get(profileId);
    if (!s) {
      // A fresh series counts only deliveries from now on, not the inbox's history.
      const max = (stmt(db, 'SELECT coalesce(max(pk), 0) AS pk FROM webhook_inbox').get() as { pk: number }).pk;
      s = { samples: [], next: 0, inboxPk: max };
      series.set(profileId, s);
    }
    const since = s.inboxPk;
    const { n, last } = stmt(db, 'SELECT count(*) AS n, max(pk) AS last FROM webhook_inbox WHERE pk > ?').get(
      since,
    ) as { n: number; last: number | null };
    const ms = (
      stmt(
        db,
        'SELECT handling_ms AS ms FROM webhook_inbox WHERE pk > ? AND handling_ms IS NOT NULL ORDER BY pk DESC LIMIT ?',
      ).all(since, MAX_LATENCY_ROWS) as { ms: number }[]
    )
      .map((r) => r.ms)
      .sort((a, b) => a - b);
    const outbox = await outboxBacklog(db);
    const segments = await segmentBacklog(db);
    const sample: MetricsSample = {
      at: deps.now().toISOString(),
      deliveries: n,
      ingestP50Ms: quantile(ms, 0.5),
      ingestP99Ms: quantile(ms, 0.99),
      outbox,
      embeddingBacklog: outbox[EMBED_JOB] ?? 0,
      segmentBacklog: segments,
    };
    // Counted only once the sample is complete: a sample cut short by a lock loses nothing.
    if (last !== null) s.inboxPk = Math.max(s.inboxPk, last);
    if (s.samples.length < capacity) s.samples.push(sample);
    else {
      s.samples[s.next] = sample;
      s.next = (s.next + 1) % capacity;
    }
    return sample;
  }

  let sampling: Promise<void> | null = null;

  /** Samples every profile sampled at its unlock; a locked one's series is dropped. */
  async function sampleEach(): Promise<void> {
    for (const profileId of [...series.keys()]) {
      const db = deps.open(profileId);
      if (!db?.open) {
        series.delete(profileId);
        continue;
      }
      try {
        await take(profileId, db);
      } catch {
        // Locked while it was sampled: the next tick drops its series.
      }
    }
  }

  /** One round at a time: a slow round is not overlapped by the next tick. */
  function sampleAll(): Promise<void> {
    sampling ??= sampleEach().finally(() => (sampling = null));
    return sampling;
  }

  return {
    /** Takes one sample of this profile now (at unlock, so a chart has a first point). */
    sample: take,
    sampleAll,
    /** Starts a series for a profile that has none yet (at unlock, or on the first read after creation). */
    async track(profileId: string, db: Db): Promise<void> {
      if (series.has(profileId)) return;
      try {
        await take(profileId, db);
      } catch {
        // Locked again while it was sampled: its series starts with the next unlock.
      }
    },
    /** Oldest first. */
    series(profileId: string): { intervalMs: number; samples: MetricsSample[] } {
      const s = series.get(profileId);
      const samples = s ? [...s.samples.slice(s.next), ...s.samples.slice(0, s.next)] : [];
      return { intervalMs, samples };
    },
    /** A locked or deleted profile's series is dropped with it. */
    forget(profileId: string): void {
      series.delete(profileId);
    },
    start(): void {
      if (timer) return;
      timer = setInterval(() => void sampleAll(), intervalMs);
      timer.unref();
    },
    stop(): void {
      clearInterval(timer);
      timer = undefined;
      series.clear();
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
