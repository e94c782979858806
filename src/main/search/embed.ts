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
// The outbox relay (relay.ts) drives this module batch by batch through embedItems, with pacing, retries
// and a circuit breaker around the provider call; scanMissing finds items for its sweep and
// queuedItem reads a queued item's current text. embedPending is the same work without a queue (the
// benchmark, tests). Segments are searched by keyword only for now.
import { createHash } from 'node:crypto';
import { AppError } from '../errors';
import { EMBEDDING_DIMS } from '../db/migrations/0010-initial';
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { modelKey, type EmbeddingProvider } from './providers/port';
import { redact } from './providers/redact';
import { addUsage, budgetLeft } from './usage';
import { writeVector } from './vectors';

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

/** How many vectors a model has (the embeddings_by_model index answers it). */
export function vectorsOf(db: Db, model: string): number {
  return (stmt(db, 'SELECT count(*) AS n FROM embeddings WHERE model = ?').get(model) as { n: number }).n;
}

/** Stores vectors; call inside a transaction. The single place embedding writes vectors. */
function store(
  db: Db,
  model: string,
  items: readonly (EmbedItem & { v: Float32Array })[],
  now: Date,
  usage: { provider: string; characters: number },
) {
  // Runs inside the caller's transaction: vectors, usage and the caller's records (done jobs) commit together.
  addUsage(db, usage.provider, now, { calls: 1, characters: usage.characters });
  for (const it of items) {
    const { pk } = stmt(
      db,
      `INSERT INTO embeddings (kind, item_pk, model, dims, content_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (kind, item_pk, model) DO UPDATE SET content_hash = excluded.content_hash,
         dims = excluded.dims, created_at = excluded.created_at
       RETURNING pk`,
    ).get(it.kind, it.pk, model, it.v.length, textHash(it.text), now.toISOString()) as { pk: number };
    writeVector(db, pk, it.v);
  }
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

/** An item to embed: its kind, row pk and current text. */
export interface EmbedItem {
  kind: EmbeddedKind;
  pk: number;
  text: string;
}

export interface BatchOptions {
  redact?: boolean;
  neverSend?: readonly string[];
  dailyCharacters?: number;
  now: () => Date;
  /** How the texts reach the provider: the relay passes its paced, retried, breaker-guarded call. */
  send?: (texts: string[]) => Promise<Float32Array[]>;
  /** Runs inside the transaction that stores the vectors (the relay completes its jobs there). */
  alongside?: (stored: readonly EmbedItem[]) => void;
}

export interface BatchReport {
  /** The items whose vectors were stored; the rest did not fit today's budget and were not sent. */
  stored: EmbedItem[];
  characters: number;
  calls: number;
  paused: 'budget' | null;
}

/** Whether text for this provider is redacted: the user's choice, else on for all but a local Ollama. */
export const redacts = (provider: Pick<EmbeddingProvider, 'name'>, setting: boolean | undefined): boolean =>
  setting ?? provider.name !== 'ollama';

/** The vector table's column is fixed at the vault's dimension: a provider that disagrees is refused. */
export function assertVaultDims(provider: EmbeddingProvider): void {
  if (provider.dims !== EMBEDDING_DIMS) {
    throw new AppError(
      'VALIDATION',
      `${provider.name} makes ${provider.dims}-dimension vectors; this vault stores ${EMBEDDING_DIMS}`,
    );
  }
}

/**
 * Embeds one batch: redacts, cuts it to what today's budget still allows (nothing is sent once it is
 * spent), makes one provider call and stores the vectors with the usage they cost in one transaction.
 * A provider error is rethrown with nothing stored.
 */
export async function embedItems(
  db: Db,
  provider: EmbeddingProvider,
  items: readonly EmbedItem[],
  options: BatchOptions,
): Promise<BatchReport> {
  assertVaultDims(provider);
  const shouldRedact = redacts(provider, options.redact);
  let batch = [...items];
  let sent = batch.map((b) => (shouldRedact ? redact(b.text, options.neverSend) : b.text));
  let paused: BatchReport['paused'] = null;
  let left = budgetLeft(db, provider.name, options.now(), options.dailyCharacters);
  const fits = sent.findIndex((t) => (left -= t.length) < 0);
  if (fits !== -1) {
    paused = 'budget';
    sent = sent.slice(0, fits);
    batch = batch.slice(0, fits);
  }
  if (batch.length === 0) return { stored: [], characters: 0, calls: 0, paused };
  const characters = sent.reduce((n, t) => n + t.length, 0);
  let vectors: Float32Array[];
  try {
    vectors = await (options.send ? options.send(sent) : provider.embed(sent, 'document'));
  } catch (err) {
    // A failed call may still have been billed: it counts, its texts stay pending. Anything but a
    // provider's own error (an open circuit breaker) sent nothing and costs nothing.
    if (err instanceof AppError && db.open) {
      db.transaction(() => addUsage(db, provider.name, options.now(), { calls: 1, characters }))();
    }
    throw err;
  }
  const model = modelKey(provider);
  const stored = batch.map((b, i) => ({ ...b, v: vectors[i]! }));
  db.transaction(() => {
    store(db, model, stored, options.now(), { provider: provider.name, characters });
    options.alongside?.(batch);
  })();
  return { stored: batch, characters, calls: 1, paused };
}

/** Embeds what is pending, batch by batch; a provider error stops the pass with the work so far kept. */
export async function embedPending(db: Db, provider: EmbeddingProvider, options: EmbedOptions): Promise<EmbedReport> {
  assertVaultDims(provider);
  registerTextHash(db);
  const model = modelKey(provider);
  const batchSize = options.batchSize ?? 64;
  const max = options.maxItems ?? Number.POSITIVE_INFINITY;
  const report: EmbedReport = { model, embedded: 0, characters: 0, calls: 0, paused: null };
  for (const kind of Object.keys(SOURCES) as EmbeddedKind[]) {
    for (;;) {
      const room = Math.min(batchSize, max - report.embedded);
      if (room <= 0) return report;
      const batch = pending(db, kind, model, room).map((b) => ({ kind, ...b }));
      if (batch.length === 0) break;
      const done = await embedItems(db, provider, batch, options);
      report.calls += done.calls;
      report.characters += done.characters;
      report.embedded += done.stored.length;
      if (done.stored.length > 0) options.onProgress?.({ embedded: report.embedded, kind });
      if (done.paused) {
        report.paused = done.paused;
        return report;
      }
    }
  }
  return report;
}

/** What the relay needs to know about a queued item now: its text, or that there is nothing to do. */
export type QueuedItem = { state: 'embed'; item: EmbedItem } | { state: 'current' } | { state: 'gone' };

/** Reads a queued item's current text; `current` when its vector for `model` already matches it. */
export function queuedItem(db: Db, kind: EmbeddedKind, id: string, model: string): QueuedItem {
  registerTextHash(db);
  const s = SOURCES[kind];
  const row = stmt(
    db,
    `SELECT x.pk AS pk, ${s.text} AS text, EXISTS (SELECT 1 FROM embeddings e WHERE e.kind = ? AND e.item_pk = x.pk
       AND e.model = ? AND e.content_hash = am_text_hash(${s.text})) AS current
     FROM ${s.table} x WHERE x.id = ? AND x.${s.live} AND length(${s.text}) > 0`,
  ).get(kind, model, id) as { pk: number; text: string; current: number } | undefined;
  if (!row) return { state: 'gone' };
  if (row.current) return { state: 'current' };
  return { state: 'embed', item: { kind, pk: row.pk, text: row.text } };
}

export const EMBEDDED_KINDS = Object.keys(SOURCES) as EmbeddedKind[];

/**
 * One slice of a sweep: the next `limit` live items of `kind` after pk `after`, and which of them lack
 * a current vector for `model`. `next` is the pk to continue after, or null at the end of the table.
 */
export function scanMissing(
  db: Db,
  kind: EmbeddedKind,
  model: string,
  after: number,
  limit: number,
): { missing: string[]; next: number | null } {
  registerTextHash(db);
  const s = SOURCES[kind];
  const rows = stmt(
    db,
    `SELECT x.pk AS pk, x.id AS id, x.${s.live} AND length(${s.text}) > 0 AND NOT EXISTS (
       SELECT 1 FROM embeddings e WHERE e.kind = ? AND e.item_pk = x.pk AND e.model = ?
         AND e.content_hash = am_text_hash(${s.text})) AS missing
     FROM ${s.table} x WHERE x.pk > ? ORDER BY x.pk LIMIT ?`,
  ).all(kind, model, after, limit) as { pk: number; id: string; missing: number | null }[];
  return {
    missing: rows.filter((r) => r.missing === 1).map((r) => r.id),
    next: rows.length < limit ? null : rows.at(-1)!.pk,
  };
}
