// Embedding the vault: finds memories and conversations whose vector for the provider's model is
// missing or was made from different text, embeds them in batches and stores each batch in one
// transaction (embeddings row + vec_embeddings vector under the same rowid).
//
// The state lives in the database, so a pass is resumable and crash safe by construction: a batch is
// either stored whole or not at all, and (kind, item, model) is unique, so a pass killed mid-batch and
// run again re-embeds at most that batch and never duplicates a vector. Each vector records the model
// key (`name:model@dims`), so a new model embeds everything once under its own key while vectors of
// the old one stay in place. Text bound for a remote provider is redacted first (redact.ts); the hash
// is of the original text, so changing the never-send list does not re-embed.
//
// Every call is metered per day (usage.ts). With a daily character budget, a batch is cut to what
// still fits and the pass stops, sending nothing, once the budget is spent: the report says `paused`.
//
// Not yet: scheduling through the outbox, a circuit breaker and pacing (a caller passes `maxItems` to
// bound one pass). Segments are searched by keyword only for now.
import { createHash } from 'node:crypto';
import { AppError } from '../errors';
import { EMBEDDING_DIMS } from '../db/migrations/0010-initial';
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { modelKey, type EmbeddingProvider } from './providers/port';
import { redact } from './providers/redact';
import { addUsage, usageToday } from './usage';
import { invalidateIndexes } from './vector-index';

export type EmbeddedKind = 'memory' | 'conversation';

const hashed = new WeakSet<Db>();
/** Registers am_text_hash(text) on the connection: what a vector's content_hash is compared with. */
export function registerTextHash(db: Db): void {
  if (hashed.has(db)) return;
  db.function('am_text_hash', { deterministic: true }, (text: unknown) =>
    textHash(typeof text === 'string' ? text : ''),
  );
  hashed.add(db);
}

export const textHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32);

const SOURCES: Record<EmbeddedKind, { table: string; text: string; live: string }> = {
  memory: { table: 'memories', text: 'content', live: 'deleted_at IS NULL' },
  conversation: { table: 'conversations', text: 'title || char(10) || overview', live: 'deleted_at IS NULL' },
};

function pendingSql(kind: EmbeddedKind, select: string): string {
  const s = SOURCES[kind];
  return `SELECT ${select} FROM ${s.table} x
     WHERE x.${s.live} AND length(${s.text}) > 0 AND NOT EXISTS (
       SELECT 1 FROM embeddings e WHERE e.kind = ? AND e.item_pk = x.pk AND e.model = ?
         AND e.content_hash = am_text_hash(${s.text}))`;
}

function pending(db: Db, kind: EmbeddedKind, model: string, limit: number) {
  const sql = `${pendingSql(kind, `x.pk AS pk, ${SOURCES[kind].text} AS text`)} ORDER BY x.pk LIMIT ?`;
  return stmt(db, sql).all(kind, model, limit) as { pk: number; text: string }[];
}

/** How many live items still lack a current vector for this model. */
export function pendingCount(db: Db, model: string): number {
  registerTextHash(db);
  let n = 0;
  for (const kind of Object.keys(SOURCES) as EmbeddedKind[]) {
    n += (stmt(db, pendingSql(kind, 'count(*) AS n')).get(kind, model) as { n: number }).n;
  }
  return n;
}

function store(
  db: Db,
  kind: EmbeddedKind,
  model: string,
  items: { pk: number; text: string; v: Float32Array }[],
  now: Date,
  usage: { provider: string; characters: number },
) {
  db.transaction(() => {
    addUsage(db, usage.provider, now, { calls: 1, characters: usage.characters });
    for (const it of items) {
      const { pk } = stmt(
        db,
        `INSERT INTO embeddings (kind, item_pk, model, dims, content_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, item_pk, model) DO UPDATE SET content_hash = excluded.content_hash,
           dims = excluded.dims, created_at = excluded.created_at
         RETURNING pk`,
      ).get(kind, it.pk, model, it.v.length, textHash(it.text), now.toISOString()) as { pk: number };
      // vec0 wants an integer rowid; better-sqlite3 sends JS numbers as REAL unless they are BigInt.
      stmt(db, 'DELETE FROM vec_embeddings WHERE rowid = ?').run(BigInt(pk));
      stmt(db, 'INSERT INTO vec_embeddings (rowid, embedding) VALUES (?, ?)').run(
        BigInt(pk),
        Buffer.from(it.v.buffer, it.v.byteOffset, it.v.byteLength),
      );
    }
  })();
}

export interface EmbedOptions {
  batchSize?: number;
  /** Stop after this many items (a budget for one pass). */
  maxItems?: number;
  /** Redact before sending; on by default for every provider except a local one. */
  redact?: boolean;
  neverSend?: readonly string[];
  /** Characters that may be sent to this provider per UTC day; absent means no limit. */
  dailyCharacters?: number;
  now: () => Date;
  onProgress?: (p: { embedded: number; kind: EmbeddedKind }) => void;
}

export interface EmbedReport {
  model: string;
  embedded: number;
  /** Characters sent to the provider (after redaction): what a usage meter counts. */
  characters: number;
  calls: number;
  /** The pass stopped because today's budget is spent. */
  paused: 'budget' | null;
}

/** Embeds what is pending, batch by batch; a provider error stops the pass with the work so far kept. */
export async function embedPending(db: Db, provider: EmbeddingProvider, options: EmbedOptions): Promise<EmbedReport> {
  // The vector table's column is fixed at the vault's dimension: a provider that disagrees is refused
  // before anything is sent, rather than failing vector by vector.
  if (provider.dims !== EMBEDDING_DIMS) {
    throw new AppError(
      'VALIDATION',
      `${provider.name} makes ${provider.dims}-dimension vectors; this vault stores ${EMBEDDING_DIMS}`,
    );
  }
  registerTextHash(db);
  const model = modelKey(provider);
  const batchSize = options.batchSize ?? 64;
  const max = options.maxItems ?? Number.POSITIVE_INFINITY;
  const shouldRedact = options.redact ?? provider.name !== 'ollama';
  const report: EmbedReport = { model, embedded: 0, characters: 0, calls: 0, paused: null };
  for (const kind of Object.keys(SOURCES) as EmbeddedKind[]) {
    for (;;) {
      const room = Math.min(batchSize, max - report.embedded);
      if (room <= 0) return report;
      const batch = pending(db, kind, model, room);
      if (batch.length === 0) break;
      let sent = batch.map((b) => (shouldRedact ? redact(b.text, options.neverSend) : b.text));
      if (options.dailyCharacters !== undefined) {
        let left = options.dailyCharacters - usageToday(db, provider.name, options.now()).characters;
        const fits = sent.findIndex((t) => (left -= t.length) < 0);
        if (fits !== -1) {
          report.paused = 'budget';
          sent = sent.slice(0, fits);
          batch.splice(fits);
        }
        if (batch.length === 0) return report;
      }
      const characters = sent.reduce((n, t) => n + t.length, 0);
      report.calls++;
      let vectors: Float32Array[];
      try {
        vectors = await provider.embed(sent, 'document');
      } catch (err) {
        // A failed call may still have been billed: it counts, its texts stay pending.
        db.transaction(() => addUsage(db, provider.name, options.now(), { calls: 1, characters }))();
        throw err;
      }
      report.characters += characters;
      const items = batch.map((b, i) => ({ ...b, v: vectors[i]! }));
      store(db, kind, model, items, options.now(), { provider: provider.name, characters });
      invalidateIndexes(db);
      report.embedded += batch.length;
      options.onProgress?.({ embedded: report.embedded, kind });
      if (report.paused) return report;
    }
  }
  return report;
}
