// Applies a staged archive in ONE synchronous transaction: either every accepted record is written
// or, on any failure, nothing is. Per record the strategy decides what happens to an id the vault
// already holds:
//   skip       keep the vault's copy;
//   overwrite  replace it with the archive's;
//   newer      replace it only if the archive's updated_at is later.
// A record identical to the stored one is "unchanged" under every strategy, so importing the same
// archive twice writes nothing the second time (not even an audit row). Records that cannot be
// stored as they are (an id held by another record, an embedding of an item this vault lacks) are
// rejected one by one with a reason; the rest still import.
// The transaction is the one place an import blocks the event loop; reading, decrypting and
// validating before it all yield. See docs/archive-format.md for why it is not split.
import { isDeepStrictEqual } from 'node:util';
import type { ImportReport, ImportStrategy } from '../../shared/models';
import { EMBEDDING_DIMS } from '../db/migrations/0010-initial';
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { audit, type WriteContext } from '../db/repos/audit';
import { normalizeTags } from '../db/repos/memories';
import type { ConversationRecord, DaySummaryRecord, EmbeddingRecord, MemoryRecord, StagedArchive } from './format';
import { storedConversation, storedMemory } from './records';

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

function writeConversation(db: Db, c: ConversationRecord, replacing: boolean, ctx: WriteContext): void {
  if (replacing) {
    stmt(
      db,
      `INSERT INTO conversation_revisions (conversation_id, content_hash, title, overview, raw, replaced_at, replaced_by)
       SELECT id, content_hash, title, overview, raw, ?, 'import' FROM conversations WHERE id = ?`,
    ).run(ctx.now().toISOString(), c.id);
  }
  stmt(
    db,
    `INSERT INTO conversations (id, created_at, started_at, finished_at, source, language, title, overview, emoji,
       category, status, discarded, starred, visibility, geolocation, raw, content_hash, origin, updated_at, deleted_at)
     VALUES (@id, @createdAt, @startedAt, @finishedAt, @source, @language, @title, @overview, @emoji,
       @category, @status, @discarded, @starred, @visibility, @geolocation, @raw, @contentHash, @origin, @updatedAt, @deletedAt)
     ON CONFLICT (id) DO UPDATE SET
       created_at = excluded.created_at, started_at = excluded.started_at, finished_at = excluded.finished_at,
       source = excluded.source, language = excluded.language, title = excluded.title, overview = excluded.overview,
       emoji = excluded.emoji, category = excluded.category, status = excluded.status, discarded = excluded.discarded,
       starred = excluded.starred, visibility = excluded.visibility, geolocation = excluded.geolocation,
       raw = excluded.raw, content_hash = excluded.content_hash, origin = excluded.origin,
       updated_at = excluded.updated_at, deleted_at = excluded.deleted_at`,
  ).run({
    ...c,
    discarded: c.discarded ? 1 : 0,
    starred: c.starred ? 1 : 0,
    segments: undefined,
    actionItems: undefined,
    events: undefined,
  });
  if (replacing) {
    stmt(db, 'DELETE FROM transcript_segments WHERE conversation_id = ?').run(c.id);
    stmt(db, 'DELETE FROM action_items WHERE conversation_id = ?').run(c.id);
    stmt(db, 'DELETE FROM events WHERE conversation_id = ?').run(c.id);
  }
  for (const g of c.segments) {
    stmt(
      db,
      `INSERT INTO transcript_segments (conversation_id, idx, segment_id, text, speaker, speaker_id, is_user, person_id, start_s, end_s)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(c.id, g.idx, g.segmentId, g.text, g.speaker, g.speakerId, g.isUser ? 1 : 0, g.personId, g.start, g.end);
  }
  for (const a of c.actionItems) {
    stmt(
      db,
      `INSERT INTO action_items (conversation_id, remote_id, description, completed, created_at, updated_at, due_at,
         completed_at, origin, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      c.id,
      a.remoteId,
      a.description,
      a.completed ? 1 : 0,
      a.createdAt,
      a.updatedAt,
      a.dueAt,
      a.completedAt,
      a.origin,
      a.deletedAt,
    );
  }
  for (const e of c.events) {
    stmt(
      db,
      'INSERT INTO events (conversation_id, title, description, start, duration_minutes, created) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(c.id, e.title, e.description, e.start, e.durationMinutes, e.created ? 1 : 0);
  }
}

function applyConversation(db: Db, c: ConversationRecord, strategy: ImportStrategy, ctx: WriteContext, t: Tally): void {
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
    writeConversation(db, c, false, ctx);
    return t.note('conversations', c.id, 'inserted');
  }
  if (isDeepStrictEqual(stored, c)) return t.note('conversations', c.id, 'unchanged');
  const why = decide(strategy, c.updatedAt, stored.updatedAt);
  if (why) return t.note('conversations', c.id, 'skipped', why);
  writeConversation(db, c, true, ctx);
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

function applyMemory(db: Db, m: MemoryRecord, strategy: ImportStrategy, ctx: WriteContext, t: Tally): void {
  if (m.remoteId !== null) {
    const owner = stmt(db, 'SELECT id FROM memories WHERE remote_id = ?').get(m.remoteId) as { id: string } | undefined;
    if (owner && owner.id !== m.id) {
      return t.note('memories', m.id, 'rejected', `remote id ${m.remoteId} belongs to memory ${owner.id}`);
    }
  }
  const now = ctx.now().toISOString();
  const stored = storedMemory(db, m.id);
  if (!stored) {
    writeMemoryRow(db, m);
    setTags(db, m.id, m.tags, now);
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
    return t.note('memories', m.id, 'inserted');
  }
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
  // vec0 wants an integer rowid; better-sqlite3 binds a JS number as a float unless it is a BigInt.
  stmt(db, 'INSERT INTO vec_embeddings (rowid, embedding) VALUES (?, ?)').run(BigInt(lastInsertRowid), vector);
  t.note('embeddings', id, stored ? 'replaced' : 'inserted');
}

export function applyStaged(
  db: Db,
  staged: Pick<StagedArchive, 'conversations' | 'memories' | 'daySummaries' | 'embeddings'>,
  strategy: ImportStrategy,
  format: string,
  ctx: WriteContext,
): ImportReport {
  return db.transaction(() => {
    const t = new Tally();
    for (const c of staged.conversations) applyConversation(db, c, strategy, ctx, t);
    for (const m of staged.memories) applyMemory(db, m, strategy, ctx, t);
    for (const d of staged.daySummaries) applyDaySummary(db, d, t);
    for (const e of staged.embeddings) applyEmbedding(db, e, strategy, t);
    if (t.changed) audit(db, ctx, 'import', 'archive', null, { format, strategy, counts: t.counts });
    return { strategy, format, counts: t.counts, skipped: t.skipped, rejected: t.rejected, changed: t.changed };
  })();
}
