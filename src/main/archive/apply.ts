// Applies archive records inside ONE transaction: either every accepted record is written or, on any
// failure, nothing is. Per record the strategy decides what happens to an id the vault already holds:
//   skip       keep the vault's copy;
//   overwrite  replace it with the archive's;
//   newer      replace it only if the archive's updated_at is later.
// A record identical to the stored one is "unchanged" under every strategy, so importing the same
// archive twice writes nothing the second time (not even an audit row). Records that cannot be
// stored as they are (an id held by another record, an embedding of an item this vault lacks) are
// rejected one by one with a reason; the rest still import.
// New records (the bulk of any import) are written in multi-row INSERTs of up to 500 rows: FTS5 flushes
// its pending index data at the end of every statement, so one statement per row (with the memories
// and conversations FTS triggers) cost ~4x more than the rows themselves (bench/archive.bench.ts).
// The caller owns the transaction: applyStaged runs one synchronous transaction over records in
// memory; job.ts streams verified records into one transaction on a worker thread's connection.
import { isDeepStrictEqual } from 'node:util';
import type { ImportReport, ImportStrategy } from '../../shared/models';
import { EMBEDDING_DIMS } from '../db/migrations/0010-initial';
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { audit, type WriteContext } from '../db/repos/audit';
import { normalizeTags } from '../db/repos/memories';
import type { ConversationRecord, DaySummaryRecord, EmbeddingRecord, MemoryRecord, StagedArchive } from './format';
import { storedConversation, storedMemory } from './records';
import { vectorFrom, writeVector } from '../search/vectors';

type Table = 'conversations' | 'memories' | 'daySummaries' | 'embeddings';
type Outcome = 'inserted' | 'replaced' | 'unchanged' | 'skipped' | 'rejected';

class Tally {
  readonly counts: ImportReport['counts'] = {};
  readonly skipped: ImportReport['skipped'] = [];
  readonly rejected: ImportReport['rejected'] = [];

  note(table: Table, id: string, outcome: Outcome, reason?: string): void {
    const c = (this.counts[table] ??= { inserted: 0, replaced: 0, unchanged: 0, skipped: 0, rejected: 0 });
    c[outcome] += 1;
    if (outcome === 'skipped') this.skipped.push({ table, id, reason: reason ?? '' });
    if (outcome === 'rejected') this.rejected.push({ table, id, reason: reason ?? '' });
  }

  get changed(): boolean {
    return Object.values(this.counts).some((c) => c.inserted + c.replaced > 0);
  }
}

/** The decision for an id the vault already holds with different content. */
function decide(strategy: ImportStrategy, incomingUpdated: string, storedUpdated: string): string | null {
  if (strategy === 'overwrite') return null;
  if (strategy === 'skip') return 'already in this vault (strategy skip)';
  return incomingUpdated > storedUpdated
    ? null
    : `the vault's copy is as new or newer (updated_at ${storedUpdated} >= ${incomingUpdated})`;
}

/** Replaces a stored conversation: its old state becomes a revision, its children are rewritten. */
function replaceConversation(db: Db, c: ConversationRecord, ctx: WriteContext): void {
  stmt(
    db,
    `INSERT INTO conversation_revisions (conversation_id, content_hash, title, overview, raw, replaced_at, replaced_by)
     SELECT id, content_hash, title, overview, raw, ?, 'import' FROM conversations WHERE id = ?`,
  ).run(ctx.now().toISOString(), c.id);
  // Every column but the id (left alone, so ON UPDATE CASCADE has nothing to do).
  const [, ...columns] = CONVERSATION_COLUMNS;
  const [, ...values] = conversationRow(c);
  stmt(
    db,
    `UPDATE conversations SET (${columns.join(', ')}) = (${columns.map(() => '?').join(', ')}) WHERE id = ?`,
  ).run(...values, c.id);
  stmt(db, 'DELETE FROM transcript_segments WHERE conversation_id = ?').run(c.id);
  stmt(db, 'DELETE FROM action_items WHERE conversation_id = ?').run(c.id);
  stmt(db, 'DELETE FROM events WHERE conversation_id = ?').run(c.id);
  insertChildren(db, [c]);
}

function applyConversation(
  db: Db,
  c: ConversationRecord,
  strategy: ImportStrategy,
  ctx: WriteContext,
  t: Tally,
  pending: Pending,
): void {
  pending.before(conversationKeys(c));
  for (const a of c.actionItems) {
    if (a.remoteId === null) continue;
    const owner = stmt(db, 'SELECT conversation_id AS id FROM action_items WHERE remote_id = ?').get(a.remoteId) as
      { id: string | null } | undefined;
    if (owner && owner.id !== c.id) {
      return t.note(
        'conversations',
        c.id,
        'rejected',
        `action item ${a.remoteId} belongs to conversation ${owner.id ?? '-'}`,
      );
    }
  }
  const stored = storedConversation(db, c.id);
  if (!stored) {
    pending.conversation(c);
    return t.note('conversations', c.id, 'inserted');
  }
  if (isDeepStrictEqual(stored, c)) return t.note('conversations', c.id, 'unchanged');
  const why = decide(strategy, c.updatedAt, stored.updatedAt);
  if (why) return t.note('conversations', c.id, 'skipped', why);
  replaceConversation(db, c, ctx);
  t.note('conversations', c.id, 'replaced');
}

/** What a memory is, apart from its history: two memories equal in this are the same. */
function memoryState(m: MemoryRecord) {
  const { versions: _v, tags, ...rest } = m;
  return { ...rest, tags: normalizeTags(tags).map((x) => x.toLowerCase()) };
}

function setTags(db: Db, id: string, tags: string[], now: string): void {
  stmt(db, 'DELETE FROM memory_tags WHERE memory_id = ?').run(id);
  for (const name of normalizeTags(tags)) {
    stmt(db, 'INSERT INTO tags (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(name, now);
    stmt(db, 'INSERT INTO memory_tags (memory_id, tag_pk) SELECT ?, pk FROM tags WHERE name = ?').run(id, name);
  }
}

function writeMemoryRow(db: Db, m: MemoryRecord): void {
  stmt(
    db,
    `INSERT INTO memories (id, content, category, visibility, conversation_id, segment_start, segment_end,
       manually_added, reviewed, edited, origin, remote_id, remote_hash, created_at, updated_at, deleted_at)
     VALUES (@id, @content, @category, @visibility, @conversationId, @segmentStart, @segmentEnd,
       @manuallyAdded, @reviewed, @edited, @origin, @remoteId, @remoteHash, @createdAt, @updatedAt, @deletedAt)
     ON CONFLICT (id) DO UPDATE SET
       content = excluded.content, category = excluded.category, visibility = excluded.visibility,
       conversation_id = excluded.conversation_id, segment_start = excluded.segment_start,
       segment_end = excluded.segment_end, manually_added = excluded.manually_added, reviewed = excluded.reviewed,
       edited = excluded.edited, origin = excluded.origin, remote_id = excluded.remote_id,
       remote_hash = excluded.remote_hash, created_at = excluded.created_at, updated_at = excluded.updated_at,
       deleted_at = excluded.deleted_at`,
  ).run({
    ...m,
    manuallyAdded: m.manuallyAdded ? 1 : 0,
    reviewed: m.reviewed ? 1 : 0,
    edited: m.edited ? 1 : 0,
    tags: undefined,
    versions: undefined,
  });
}

function writeVersions(db: Db, m: MemoryRecord): void {
  for (const v of m.versions) {
    stmt(
      db,
      `INSERT INTO memory_versions (memory_id, version, content, category, visibility, tags, changed_by, reason, changed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      m.id,
      v.version,
      v.content,
      v.category,
      v.visibility,
      JSON.stringify(v.tags),
      v.changedBy,
      v.reason,
      v.changedAt,
    );
  }
}

function applyMemory(
  db: Db,
  m: MemoryRecord,
  strategy: ImportStrategy,
  ctx: WriteContext,
  t: Tally,
  pending: Pending,
): void {
  pending.before(memoryKeys(m));
  if (m.remoteId !== null) {
    const owner = stmt(db, 'SELECT id FROM memories WHERE remote_id = ?').get(m.remoteId) as { id: string } | undefined;
    if (owner && owner.id !== m.id) {
      return t.note('memories', m.id, 'rejected', `remote id ${m.remoteId} belongs to memory ${owner.id}`);
    }
  }
  const stored = storedMemory(db, m.id);
  if (!stored) {
    pending.memory(m);
    return t.note('memories', m.id, 'inserted');
  }
  const now = ctx.now().toISOString();
  if (isDeepStrictEqual(memoryState(stored), memoryState(m))) return t.note('memories', m.id, 'unchanged');
  const why = decide(strategy, m.updatedAt, stored.updatedAt);
  if (why) return t.note('memories', m.id, 'skipped', why);
  // The vault's history stays; the state being replaced becomes its newest version.
  stmt(
    db,
    `INSERT INTO memory_versions (memory_id, version, content, category, visibility, tags, changed_by, reason, changed_at)
     SELECT ?, coalesce(max(version), 0) + 1, ?, ?, ?, ?, ?, 'import', ? FROM memory_versions WHERE memory_id = ?`,
  ).run(m.id, stored.content, stored.category, stored.visibility, JSON.stringify(stored.tags), ctx.actor, now, m.id);
  writeMemoryRow(db, m);
  setTags(db, m.id, m.tags, now);
  t.note('memories', m.id, 'replaced');
}

function applyDaySummary(db: Db, d: DaySummaryRecord, t: Tally): void {
  const id = `${d.createdAt}`;
  const same = stmt(
    db,
    'SELECT 1 FROM day_summaries WHERE created_at = ? AND summary = ? AND uid IS ? AND received_at = ?',
  ).get(d.createdAt, d.summary, d.uid, d.receivedAt);
  if (same) return t.note('daySummaries', id, 'unchanged');
  stmt(db, 'INSERT INTO day_summaries (summary, uid, created_at, received_at) VALUES (?, ?, ?, ?)').run(
    d.summary,
    d.uid,
    d.createdAt,
    d.receivedAt,
  );
  t.note('daySummaries', id, 'inserted');
}

function itemPk(db: Db, e: EmbeddingRecord): number | undefined {
  const row =
    e.kind === 'memory'
      ? stmt(db, 'SELECT pk FROM memories WHERE id = ?').get(e.itemId)
      : e.kind === 'conversation'
        ? stmt(db, 'SELECT pk FROM conversations WHERE id = ?').get(e.itemId)
        : stmt(db, 'SELECT pk FROM transcript_segments WHERE conversation_id = ? AND idx = ?').get(
            e.itemId,
            e.segmentIdx,
          );
  return (row as { pk: number } | undefined)?.pk;
}

function applyEmbedding(db: Db, e: EmbeddingRecord, strategy: ImportStrategy, t: Tally): void {
  const id = `${e.kind}:${e.itemId}${e.segmentIdx === null ? '' : `#${e.segmentIdx}`}:${e.model}`;
  if (e.dims !== EMBEDDING_DIMS) {
    return t.note('embeddings', id, 'rejected', `this vault stores ${EMBEDDING_DIMS}-dimension vectors, not ${e.dims}`);
  }
  const pk = itemPk(db, e);
  if (pk === undefined) return t.note('embeddings', id, 'rejected', `no ${e.kind} ${e.itemId} in this vault`);
  const vector = Buffer.from(e.vector, 'base64');
  const stored = stmt(
    db,
    `SELECT e.pk, e.content_hash, e.created_at, e.dims, v.embedding FROM embeddings e
     LEFT JOIN vec_embeddings v ON v.rowid = e.pk WHERE e.kind = ? AND e.item_pk = ? AND e.model = ?`,
  ).get(e.kind, pk, e.model) as
    { pk: number; content_hash: string; created_at: string; dims: number; embedding: Buffer | null } | undefined;
  if (stored) {
    const same =
      stored.content_hash === e.contentHash &&
      stored.created_at === e.createdAt &&
      stored.embedding !== null &&
      stored.embedding.equals(vector);
    if (same) return t.note('embeddings', id, 'unchanged');
    const why = decide(strategy, e.createdAt, stored.created_at);
    if (why) return t.note('embeddings', id, 'skipped', why);
    stmt(db, 'DELETE FROM embeddings WHERE pk = ?').run(stored.pk);
  }
  const { lastInsertRowid } = stmt(
    db,
    'INSERT INTO embeddings (kind, item_pk, model, dims, content_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(e.kind, pk, e.model, e.dims, e.contentHash, e.createdAt);
  writeVector(db, lastInsertRowid, vectorFrom(vector));
  t.note('embeddings', id, stored ? 'replaced' : 'inserted');
}

/** Rows per multi-row INSERT; remainders go in statements of 64, 8 and 1 rows, so few are prepared. */
const BATCH = 500;
const REMAINDERS = [64, 8, 1];

/** Inserts `rows` (each the values of `columns`) with a handful of multi-row statements. */
function insertRows(db: Db, table: string, columns: readonly string[], rows: readonly unknown[][]): void {
  const one = `(${columns.map(() => '?').join(', ')})`;
  const insert = (n: number) =>
    stmt(db, `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: n }, () => one).join(', ')}`);
  let at = 0;
  for (const size of [BATCH, ...REMAINDERS]) {
    for (; rows.length - at >= size; at += size) insert(size).run(rows.slice(at, at + size).flat());
  }
}

const CONVERSATION_COLUMNS = [
  'id',
  'created_at',
  'started_at',
  'finished_at',
  'source',
  'language',
  'title',
  'overview',
  'emoji',
  'category',
  'status',
  'discarded',
  'starred',
  'visibility',
  'geolocation',
  'raw',
  'content_hash',
  'origin',
  'updated_at',
  'deleted_at',
] as const;
const SEGMENT_COLUMNS = [
  'conversation_id',
  'idx',
  'segment_id',
  'text',
  'speaker',
  'speaker_id',
  'is_user',
  'person_id',
  'start_s',
  'end_s',
] as const;
const ACTION_ITEM_COLUMNS = [
  'conversation_id',
  'remote_id',
  'description',
  'completed',
  'created_at',
  'updated_at',
  'due_at',
  'completed_at',
  'origin',
  'deleted_at',
] as const;
const EVENT_COLUMNS = ['conversation_id', 'title', 'description', 'start', 'duration_minutes', 'created'] as const;
const MEMORY_COLUMNS = [
  'id',
  'content',
  'category',
  'visibility',
  'conversation_id',
  'segment_start',
  'segment_end',
  'manually_added',
  'reviewed',
  'edited',
  'origin',
  'remote_id',
  'remote_hash',
  'created_at',
  'updated_at',
  'deleted_at',
] as const;

const bit = (b: boolean) => (b ? 1 : 0);

/** What two records must not share: ids and remote ids (unique columns). */
const conversationKeys = (c: ConversationRecord) => [
  `c:${c.id}`,
  ...c.actionItems.flatMap((a) => (a.remoteId === null ? [] : [`a:${a.remoteId}`])),
];
const memoryKeys = (m: MemoryRecord) => [`m:${m.id}`, ...(m.remoteId === null ? [] : [`r:${m.remoteId}`])];

const conversationRow = (c: ConversationRecord) => [
  c.id,
  c.createdAt,
  c.startedAt,
  c.finishedAt,
  c.source,
  c.language,
  c.title,
  c.overview,
  c.emoji,
  c.category,
  c.status,
  bit(c.discarded),
  bit(c.starred),
  c.visibility,
  c.geolocation,
  c.raw,
  c.contentHash,
  c.origin,
  c.updatedAt,
  c.deletedAt,
];

/** Segments, action items and events of conversations whose rows exist. */
function insertChildren(db: Db, batch: readonly ConversationRecord[]): void {
  insertRows(
    db,
    'transcript_segments',
    SEGMENT_COLUMNS,
    batch.flatMap((c) =>
      c.segments.map((g) => [
        c.id,
        g.idx,
        g.segmentId,
        g.text,
        g.speaker,
        g.speakerId,
        bit(g.isUser),
        g.personId,
        g.start,
        g.end,
      ]),
    ),
  );
  insertRows(
    db,
    'action_items',
    ACTION_ITEM_COLUMNS,
    batch.flatMap((c) =>
      c.actionItems.map((a) => [
        c.id,
        a.remoteId,
        a.description,
        bit(a.completed),
        a.createdAt,
        a.updatedAt,
        a.dueAt,
        a.completedAt,
        a.origin,
        a.deletedAt,
      ]),
    ),
  );
  insertRows(
    db,
    'events',
    EVENT_COLUMNS,
    batch.flatMap((c) =>
      c.events.map((e) => [c.id, e.title, e.description, e.start, e.durationMinutes, bit(e.created)]),
    ),
  );
}

/**
 * Records new to the vault, held until a batch is full and then written together. A later record
 * that shares an id or remote id with a waiting one (an archive cannot hold such twins, an OMI file
 * can) makes the batch flush first, so it is judged against stored rows exactly as if every record
 * had been written at once; embeddings name their items, so the caller flushes before applying them.
 */
class Pending {
  private conversations: ConversationRecord[] = [];
  private memories: MemoryRecord[] = [];
  private readonly keys = new Set<string>();

  /** Flushes if any of these keys belongs to a waiting record. */
  before(keys: readonly string[]): void {
    if (this.keys.size > 0 && keys.some((k) => this.keys.has(k))) this.flush();
  }

  constructor(
    private readonly db: Db,
    private readonly now: () => string,
  ) {}

  conversation(c: ConversationRecord): void {
    for (const k of conversationKeys(c)) this.keys.add(k);
    this.conversations.push(c);
    if (this.conversations.length >= BATCH / 10) this.flushConversations();
  }

  memory(m: MemoryRecord): void {
    for (const k of memoryKeys(m)) this.keys.add(k);
    this.memories.push(m);
    if (this.memories.length >= BATCH) this.flushMemories();
  }

  flush(): void {
    this.flushConversations();
    this.flushMemories();
    this.keys.clear();
  }

  private flushConversations(): void {
    const batch = this.conversations;
    if (batch.length === 0) return;
    this.conversations = [];
    insertRows(this.db, 'conversations', CONVERSATION_COLUMNS, batch.map(conversationRow));
    insertChildren(this.db, batch);
  }

  private flushMemories(): void {
    const batch = this.memories;
    if (batch.length === 0) return;
    this.memories = [];
    insertRows(
      this.db,
      'memories',
      MEMORY_COLUMNS,
      batch.map((m) => [
        m.id,
        m.content,
        m.category,
        m.visibility,
        m.conversationId,
        m.segmentStart,
        m.segmentEnd,
        bit(m.manuallyAdded),
        bit(m.reviewed),
        bit(m.edited),
        m.origin,
        m.remoteId,
        m.remoteHash,
        m.createdAt,
        m.updatedAt,
        m.deletedAt,
      ]),
    );
    for (const m of batch) {
      if (m.tags.length > 0) setTags(this.db, m.id, m.tags, this.now());
      writeVersions(this.db, m);
    }
  }
}

export type ApplyRecord =
  | { key: 'conversations'; record: ConversationRecord }
  | { key: 'memories'; record: MemoryRecord }
  | { key: 'daySummaries'; record: DaySummaryRecord }
  | { key: 'embeddings'; record: EmbeddingRecord };

/**
 * Applies records one at a time, in archive order, inside a transaction the caller holds open;
 * `finish` writes what is still batched, audits, and returns the report.
 */
export class Applier {
  private readonly t = new Tally();
  private readonly pending: Pending;

  constructor(
    private readonly db: Db,
    private readonly strategy: ImportStrategy,
    private readonly ctx: WriteContext,
  ) {
    this.pending = new Pending(db, () => ctx.now().toISOString());
  }

  add(r: ApplyRecord): void {
    const { db, strategy, ctx, t, pending } = this;
    switch (r.key) {
      case 'conversations':
        return applyConversation(db, r.record, strategy, ctx, t, pending);
      case 'memories':
        return applyMemory(db, r.record, strategy, ctx, t, pending);
      case 'daySummaries':
        return applyDaySummary(db, r.record, t);
      case 'embeddings':
        pending.flush();
        return applyEmbedding(db, r.record, strategy, t);
    }
  }

  finish(format: string): ImportReport {
    const t = this.t;
    this.pending.flush();
    if (t.changed)
      audit(this.db, this.ctx, 'import', 'archive', null, { format, strategy: this.strategy, counts: t.counts });
    return {
      strategy: this.strategy,
      format,
      counts: t.counts,
      skipped: t.skipped,
      rejected: t.rejected,
      changed: t.changed,
    };
  }
}

export function applyStaged(
  db: Db,
  staged: Pick<StagedArchive, 'conversations' | 'memories' | 'daySummaries' | 'embeddings'>,
  strategy: ImportStrategy,
  format: string,
  ctx: WriteContext,
): ImportReport {
  // IMMEDIATE, as job.ts does for archives: a deferred transaction reads first and then upgrades to a
  // write, and if another connection (the main thread's segment indexer) committed in between, SQLite
  // answers SQLITE_BUSY at once instead of waiting out the busy timeout.
  return db
    .transaction(() => {
      const a = new Applier(db, strategy, ctx);
      for (const record of staged.conversations) a.add({ key: 'conversations', record });
      for (const record of staged.memories) a.add({ key: 'memories', record });
      for (const record of staged.daySummaries) a.add({ key: 'daySummaries', record });
      for (const record of staged.embeddings) a.add({ key: 'embeddings', record });
      return a.finish(format);
    })
    .immediate();
}
