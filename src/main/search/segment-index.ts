// Keeps fts_segments in step with transcript_segments, off the write path (schema v40).
//
// Tokenizing ~90 segments cost a webhook delivery more than its durable commit, so writers no longer
// index segments. Every segment with pk <= segment_index_state.indexed_through is in the index; pks
// only grow (AUTOINCREMENT), so rows above that watermark are exactly the ones still to index, and
// any writer (webhook ingest, sync pull, archive import, the conversations repo) is picked up without
// knowing about the index. Indexed rows that are deleted or edited leave their old text in
// segment_index_stale (a trigger), which is removed from the index before anything new is added.
//
// Indexing runs in chunks, each one transaction sized to a few milliseconds, with a turn of the event
// loop between chunks so webhook acknowledgements and UI requests are never held up for long:
//   - segmentIndexer(db).kick() after a commit (the webhook service does) or on unlock. Chunks run
//     once writes pause for 25 ms (or at least every 100 ms under a steady stream, so the index
//     cannot starve); a slow poll also notices rows from writers that never kick;
//   - catchUpSegmentIndex(db) before a keyword search: a small tail is indexed inline, a large backlog
//     only partly (the caller says the index is still catching up) while the background continues;
//   - drainSegmentIndex(db) when everything must be indexed (doctor's FTS check), yielding between
//     chunks.
//
// Chunks commit with synchronous=NORMAL: in WAL mode a crash can then lose the newest chunks but
// never tear one, and the watermark lives in the same transaction as the index rows it covers, so a
// lost chunk is simply indexed again. The next FULL commit (any acknowledgement) makes them durable.
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';

export interface SegmentBacklog {
  /** Segments above the watermark, not yet indexed. */
  pending: number;
  /** Indexed segments deleted or edited since, whose old text is still in the index. */
  stale: number;
}

export interface ChunkResult {
  /** Segments indexed, removed or re-indexed by this chunk. */
  rows: number;
  /** Whether anything is left to do. */
  more: boolean;
}

/** How long one chunk may take; the event loop gets a turn between chunks. */
export const CHUNK_TARGET_MS = 4;
const MIN_CHUNK_ROWS = 16;
const MAX_CHUNK_ROWS = 4_096;
/** Inline catch-up before a search: at most this long, well under the 50 ms event-loop rule. */
export const INLINE_BUDGET_MS = 30;
/** What a search says when it ran before recent transcript segments were all indexed. */
export const INDEXING_NOTICE =
  'Recently received transcripts are still being indexed; some of their lines may not be found yet.';
/** How often the background indexer looks for rows written without a kick. */
const POLL_MS = 2_000;

function watermark(db: Db): number {
  return (stmt(db, 'SELECT indexed_through AS w FROM segment_index_state WHERE id = 1').get() as { w: number }).w;
}

/** Whether anything is waiting: two index lookups, cheap enough to run before every search. */
export function segmentIndexBehind(db: Db): boolean {
  const r = stmt(
    db,
    `SELECT (SELECT max(pk) FROM transcript_segments) > (SELECT indexed_through FROM segment_index_state WHERE id = 1)
        OR EXISTS (SELECT 1 FROM segment_index_stale) AS behind`,
  ).get() as { behind: number | null };
  return r.behind === 1;
}

export function segmentBacklog(db: Db): SegmentBacklog {
  const pending = (
    stmt(db, 'SELECT count(*) AS n FROM transcript_segments WHERE pk > ?').get(watermark(db)) as { n: number }
  ).n;
  const stale = (stmt(db, 'SELECT count(*) AS n FROM segment_index_stale').get() as { n: number }).n;
  return { pending, stale };
}

function chunkOnce(db: Db, maxRows: number): ChunkResult {
  let rows = 0;
  // Old text first: FTS5's 'delete' must be given exactly the text that was indexed.
  const stale = stmt(db, 'SELECT pk, text FROM segment_index_stale ORDER BY pk LIMIT ?').all(maxRows) as {
    pk: number;
    text: string;
  }[];
  for (const s of stale) {
    stmt(db, "INSERT INTO fts_segments (fts_segments, rowid, text) VALUES ('delete', ?, ?)").run(s.pk, s.text);
    // An edited segment is indexed again with its current text; a deleted one is simply gone.
    stmt(db, 'INSERT INTO fts_segments (rowid, text) SELECT pk, text FROM transcript_segments WHERE pk = ?').run(s.pk);
    stmt(db, 'DELETE FROM segment_index_stale WHERE pk = ?').run(s.pk);
    rows++;
  }
  const from = watermark(db);
  const room = maxRows - rows;
  let through = from;
  if (room > 0) {
    const last = stmt(
      db,
      'SELECT max(pk) AS last FROM (SELECT pk FROM transcript_segments WHERE pk > ? ORDER BY pk LIMIT ?)',
    ).get(from, room) as { last: number | null };
    if (last.last !== null) {
      through = last.last;
      const r = stmt(
        db,
        'INSERT INTO fts_segments (rowid, text) SELECT pk, text FROM transcript_segments WHERE pk > ? AND pk <= ?',
      ).run(from, through);
      stmt(db, 'UPDATE segment_index_state SET indexed_through = ? WHERE id = 1').run(through);
      rows += r.changes;
    }
  }
  const more =
    stale.length === maxRows ||
    stmt(db, 'SELECT 1 FROM transcript_segments WHERE pk > ? LIMIT 1').get(through) !== undefined ||
    stmt(db, 'SELECT 1 FROM segment_index_stale LIMIT 1').get() !== undefined;
  return { rows, more };
}

/** Milliseconds per row, learned from earlier chunks on this connection, to size the next one. */
const msPerRow = new WeakMap<Db, number>();

/** Rows for a chunk of about `targetMs`. */
function chunkRows(db: Db, targetMs: number): number {
  const cost = msPerRow.get(db) ?? 0.05;
  return Math.max(MIN_CHUNK_ROWS, Math.min(MAX_CHUNK_ROWS, Math.floor(targetMs / cost)));
}

/** Indexes one chunk of about `targetMs` in its own transaction. */
export function indexSegmentChunk(db: Db, targetMs = CHUNK_TARGET_MS): ChunkResult {
  const started = performance.now();
  // Inside a caller's transaction the safety level cannot change (and the caller's commit decides).
  const level = db.inTransaction ? null : (db.pragma('synchronous', { simple: true }) as number);
  if (level !== null) db.pragma('synchronous = NORMAL');
  let result: ChunkResult;
  try {
    // IMMEDIATE: the watermark is read and moved under the write lock, so another process indexing
    // the same vault (a CLI search while serve runs) waits its turn instead of failing to upgrade.
    result = db.transaction(() => chunkOnce(db, chunkRows(db, targetMs))).immediate();
  } finally {
    if (level !== null) db.pragma(`synchronous = ${level}`);
  }
  if (result.rows > 0) {
    const sample = (performance.now() - started) / result.rows;
    const previous = msPerRow.get(db);
    msPerRow.set(db, previous === undefined ? sample : previous * 0.7 + sample * 0.3);
  }
  return result;
}

/**
 * Indexes what is waiting, in chunks, for at most `budgetMs`. Returns whether the index is now
 * complete; when it is not, the background indexer has been asked to carry on.
 */
export function catchUpSegmentIndex(db: Db, budgetMs = INLINE_BUDGET_MS): { caughtUp: boolean; rows: number } {
  if (!segmentIndexBehind(db)) return { caughtUp: true, rows: 0 };
  const deadline = performance.now() + budgetMs;
  let rows = 0;
  for (;;) {
    const left = deadline - performance.now();
    const r = indexSegmentChunk(db, Math.max(1, Math.min(CHUNK_TARGET_MS * 2, left)));
    rows += r.rows;
    if (!r.more) return { caughtUp: true, rows };
    if (performance.now() >= deadline) {
      segmentIndexer(db).kick();
      return { caughtUp: false, rows };
    }
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Indexes everything waiting, yielding to the event loop between chunks. Returns the rows done. */
export async function drainSegmentIndex(db: Db): Promise<number> {
  let rows = 0;
  for (;;) {
    const r = indexSegmentChunk(db);
    rows += r.rows;
    if (!r.more) return rows;
    await turn();
  }
}

export interface SegmentIndexer {
  /** Index whatever is waiting, soon, in the background. */
  kick(): void;
  /** The last error a background chunk hit, if the most recent chunk failed. */
  readonly lastError: unknown;
}

/**
 * A chunk waits until no write has kicked the indexer for this long: acknowledgements go first. A
 * steady stream of deliveries (a backlog OMI replays, a burst) leaves gaps of a few milliseconds
 * between them; a chunk started in each would delay the next acknowledgement every time.
 */
const IDLE_MS = 25;
/** ...but never longer than this since the last chunk, so a steady stream of writes cannot starve it. */
const MAX_DEFER_MS = 100;

const indexers = new WeakMap<Db, SegmentIndexer>();

/**
 * The background indexer of one connection (one per open vault). It stops by itself once the
 * connection is closed; its timers never keep a process alive.
 */
export function segmentIndexer(db: Db): SegmentIndexer {
  const existing = indexers.get(db);
  if (existing) return existing;
  let pending: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let lastError: unknown = undefined;
  let lastKick = 0;
  let lastChunk = performance.now();

  const schedule = (delayMs: number) => {
    if (pending) return;
    pending = delayMs > 0 ? setTimeout(tick, delayMs) : setImmediate(tick);
    pending.unref();
  };
  function tick() {
    pending = undefined;
    if (!db.open) return stop();
    const now = performance.now();
    const quietFor = now - lastKick;
    if (quietFor < IDLE_MS && now - lastChunk < MAX_DEFER_MS) return schedule(IDLE_MS - quietFor);
    lastChunk = now;
    try {
      const r = indexSegmentChunk(db);
      lastError = undefined;
      // The next chunk after a turn of the event loop, so requests that arrived meanwhile go first.
      if (r.more) schedule(0);
    } catch (err) {
      // Most likely the database is busy in another process; the poll retries.
      lastError = err;
    }
  }
  const poll = setInterval(() => {
    if (!db.open) return stop();
    try {
      if (!pending && segmentIndexBehind(db)) schedule(0);
    } catch (err) {
      lastError = err;
    }
  }, POLL_MS);
  poll.unref();
  function stop() {
    clearInterval(poll);
  }

  const indexer: SegmentIndexer = {
    kick() {
      if (!db.open) return;
      lastKick = performance.now();
      schedule(IDLE_MS);
    },
    get lastError() {
      return lastError;
    },
  };
  indexers.set(db, indexer);
  return indexer;
}
