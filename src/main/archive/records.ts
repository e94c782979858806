// Database rows <-> archive records. Export reads pages of rows in primary-key order (keyset
// paging, so each page is one short synchronous read and the connection stays free for webhook
// ingest in between); import compares incoming records with what is stored through the same mapping.
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import type { ConversationRecord, DaySummaryRecord, EmbeddingRecord, MemoryRecord } from './format';

interface ConversationRow {
  pk: number;
  id: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  source: string | null;
  language: string | null;
  title: string;
  overview: string;
  emoji: string | null;
  category: string;
  status: string | null;
  discarded: number;
  starred: number;
  visibility: string | null;
  geolocation: string | null;
  raw: string | null;
  content_hash: string;
  origin: ConversationRecord['origin'];
  updated_at: string;
  deleted_at: string | null;
}

interface SegmentRow {
  conversation_id: string;
  idx: number;
  segment_id: string | null;
  text: string;
  speaker: string | null;
  speaker_id: number | null;
  is_user: number;
  person_id: string | null;
  start_s: number;
  end_s: number;
}

interface ActionItemRow {
  conversation_id: string;
  remote_id: string | null;
  description: string;
  completed: number;
  created_at: string | null;
  updated_at: string | null;
  due_at: string | null;
  completed_at: string | null;
  origin: string;
  deleted_at: string | null;
}

interface EventRow {
  conversation_id: string;
  title: string;
  description: string;
  start: string | null;
  duration_minutes: number | null;
  created: number;
}

interface MemoryRow {
  pk: number;
  id: string;
  content: string;
  category: MemoryRecord['category'];
  visibility: MemoryRecord['visibility'];
  conversation_id: string | null;
  segment_start: number | null;
  segment_end: number | null;
  manually_added: number;
  reviewed: number;
  edited: number;
  origin: MemoryRecord['origin'];
  remote_id: string | null;
  remote_hash: string | null;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

interface VersionRow {
  memory_id: string;
  version: number;
  content: string;
  category: MemoryRecord['category'];
  visibility: MemoryRecord['visibility'];
  tags: string;
  changed_by: string;
  reason: string;
  changed_at: string;
}

function groupBy<T extends { conversation_id?: string; memory_id?: string }>(
  rows: T[],
  key: (r: T) => string,
): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

function toConversation(
  c: ConversationRow,
  segments: SegmentRow[],
  actionItems: ActionItemRow[],
  events: EventRow[],
): ConversationRecord {
  return {
    id: c.id,
    createdAt: c.created_at,
    startedAt: c.started_at,
    finishedAt: c.finished_at,
    source: c.source,
    language: c.language,
    title: c.title,
    overview: c.overview,
    emoji: c.emoji,
    category: c.category,
    status: c.status,
    discarded: c.discarded === 1,
    starred: c.starred === 1,
    visibility: c.visibility,
    geolocation: c.geolocation,
    raw: c.raw,
    contentHash: c.content_hash,
    origin: c.origin,
    updatedAt: c.updated_at,
    deletedAt: c.deleted_at,
    segments: segments.map((g) => ({
      idx: g.idx,
      segmentId: g.segment_id,
      text: g.text,
      speaker: g.speaker,
      speakerId: g.speaker_id,
      isUser: g.is_user === 1,
      personId: g.person_id,
      start: g.start_s,
      end: g.end_s,
    })),
    actionItems: actionItems.map((a) => ({
      remoteId: a.remote_id,
      description: a.description,
      completed: a.completed === 1,
      createdAt: a.created_at,
      updatedAt: a.updated_at,
      dueAt: a.due_at,
      completedAt: a.completed_at,
      origin: a.origin,
      deletedAt: a.deleted_at,
    })),
    events: events.map((e) => ({
      title: e.title,
      description: e.description,
      start: e.start,
      durationMinutes: e.duration_minutes,
      created: e.created === 1,
    })),
  };
}

function toMemory(m: MemoryRow, tags: string[], versions: VersionRow[]): MemoryRecord {
  return {
    id: m.id,
    content: m.content,
    category: m.category,
    visibility: m.visibility,
    conversationId: m.conversation_id,
    segmentStart: m.segment_start,
    segmentEnd: m.segment_end,
    manuallyAdded: m.manually_added === 1,
    reviewed: m.reviewed === 1,
    edited: m.edited === 1,
    origin: m.origin,
    remoteId: m.remote_id,
    remoteHash: m.remote_hash,
    createdAt: m.created_at,
    updatedAt: m.updated_at,
    deletedAt: m.deleted_at,
    tags,
    versions: versions.map((v) => ({
      version: v.version,
      content: v.content,
      category: v.category,
      visibility: v.visibility,
      tags: JSON.parse(v.tags) as string[],
      changedBy: v.changed_by,
      reason: v.reason,
      changedAt: v.changed_at,
    })),
  };
}

/** The time a filter judges a conversation by. */
const CONVERSATION_TIME = 'coalesce(c.started_at, c.created_at)';

export interface PageFilter {
  from: string | null;
  to: string | null;
  /** Lower-cased tag names, or null for every memory. */
  tags: string[] | null;
}

/** One page of conversations after `afterPk`, with their children; `last` is the next cursor. */
export function conversationPage(
  db: Db,
  afterPk: number,
  size: number,
  f: PageFilter,
): { records: ConversationRecord[]; last: number } {
  const rows = stmt(
    db,
    `SELECT c.* FROM conversations c WHERE c.pk > ?
       AND (? IS NULL OR ${CONVERSATION_TIME} >= ?) AND (? IS NULL OR ${CONVERSATION_TIME} < ?)
     ORDER BY c.pk LIMIT ?`,
  ).all(afterPk, f.from, f.from, f.to, f.to, size) as ConversationRow[];
  if (rows.length === 0) return { records: [], last: afterPk };
  const lo = rows[0]!.pk;
  const hi = rows.at(-1)!.pk;
  // Ordered by conversation pk first: that is the order the join walks (pk range, then each
  // conversation's rows by index), so SQLite needs no sort; ordering by conversation_id text did.
  const children = <T extends { conversation_id: string }>(sql: string) =>
    groupBy(stmt(db, sql).all(lo, hi) as T[], (r) => r.conversation_id);
  const segments = children<SegmentRow>(
    `SELECT g.* FROM transcript_segments g JOIN conversations c ON c.id = g.conversation_id
     WHERE c.pk BETWEEN ? AND ? ORDER BY c.pk, g.idx`,
  );
  const actions = children<ActionItemRow>(
    `SELECT a.* FROM action_items a JOIN conversations c ON c.id = a.conversation_id
     WHERE c.pk BETWEEN ? AND ? ORDER BY c.pk, a.pk`,
  );
  const events = children<EventRow>(
    `SELECT e.* FROM events e JOIN conversations c ON c.id = e.conversation_id
     WHERE c.pk BETWEEN ? AND ? ORDER BY c.pk, e.pk`,
  );
  return {
    records: rows.map((c) =>
      toConversation(c, segments.get(c.id) ?? [], actions.get(c.id) ?? [], events.get(c.id) ?? []),
    ),
    last: hi,
  };
}

export function memoryPage(
  db: Db,
  afterPk: number,
  size: number,
  f: PageFilter,
): { records: MemoryRecord[]; last: number } {
  const rows = stmt(
    db,
    `SELECT m.* FROM memories m WHERE m.pk > ?
       AND (? IS NULL OR m.created_at >= ?) AND (? IS NULL OR m.created_at < ?)
       AND (? IS NULL OR EXISTS (SELECT 1 FROM memory_tags mt JOIN tags t ON t.pk = mt.tag_pk
             WHERE mt.memory_id = m.id AND lower(t.name) IN (SELECT value FROM json_each(?))))
     ORDER BY m.pk LIMIT ?`,
  ).all(afterPk, f.from, f.from, f.to, f.to, f.tags ? 1 : null, JSON.stringify(f.tags ?? []), size) as MemoryRow[];
  if (rows.length === 0) return { records: [], last: afterPk };
  const lo = rows[0]!.pk;
  const hi = rows.at(-1)!.pk;
  const tagRows = stmt(
    db,
    `SELECT mt.memory_id, t.name FROM memory_tags mt JOIN tags t ON t.pk = mt.tag_pk
     JOIN memories m ON m.id = mt.memory_id WHERE m.pk BETWEEN ? AND ? ORDER BY t.name`,
  ).all(lo, hi) as { memory_id: string; name: string }[];
  const tags = groupBy(tagRows, (r) => r.memory_id);
  const versions = groupBy(
    stmt(
      db,
      `SELECT v.* FROM memory_versions v JOIN memories m ON m.id = v.memory_id
       WHERE m.pk BETWEEN ? AND ? ORDER BY v.memory_id, v.version`,
    ).all(lo, hi) as VersionRow[],
    (r) => r.memory_id,
  );
  return {
    records: rows.map((m) =>
      toMemory(
        m,
        (tags.get(m.id) ?? []).map((t) => t.name),
        versions.get(m.id) ?? [],
      ),
    ),
    last: hi,
  };
}

export function daySummaryPage(
  db: Db,
  afterPk: number,
  size: number,
  f: PageFilter,
): { records: DaySummaryRecord[]; last: number } {
  const rows = stmt(
    db,
    `SELECT pk, summary, uid, created_at AS createdAt, received_at AS receivedAt FROM day_summaries
     WHERE pk > ? AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?) ORDER BY pk LIMIT ?`,
  ).all(afterPk, f.from, f.from, f.to, f.to, size) as (DaySummaryRecord & { pk: number })[];
  return { records: rows.map(({ pk: _pk, ...r }) => r), last: rows.at(-1)?.pk ?? afterPk };
}

/** Embeddings of the items this export includes (the caller passes the included id sets). */
export function embeddingPage(
  db: Db,
  afterPk: number,
  size: number,
  include: { memory: (id: string) => boolean; conversation: (id: string) => boolean },
): { records: EmbeddingRecord[]; last: number } {
  const rows = stmt(
    db,
    `SELECT e.pk, e.kind, e.model, e.dims, e.content_hash, e.created_at,
       coalesce(m.id, c.id, g.conversation_id) AS item_id, g.idx AS segment_idx, v.embedding
     FROM embeddings e
     LEFT JOIN memories m ON e.kind = 'memory' AND m.pk = e.item_pk
     LEFT JOIN conversations c ON e.kind = 'conversation' AND c.pk = e.item_pk
     LEFT JOIN transcript_segments g ON e.kind = 'segment' AND g.pk = e.item_pk
     LEFT JOIN vec_embeddings v ON v.rowid = e.pk
     WHERE e.pk > ? ORDER BY e.pk LIMIT ?`,
  ).all(afterPk, size) as {
    pk: number;
    kind: EmbeddingRecord['kind'];
    model: string;
    dims: number;
    content_hash: string;
    created_at: string;
    item_id: string | null;
    segment_idx: number | null;
    embedding: Buffer | null;
  }[];
  const records: EmbeddingRecord[] = [];
  for (const r of rows) {
    if (r.item_id === null || r.embedding === null) continue;
    const included = r.kind === 'memory' ? include.memory(r.item_id) : include.conversation(r.item_id);
    if (!included) continue;
    records.push({
      kind: r.kind,
      itemId: r.item_id,
      segmentIdx: r.kind === 'segment' ? r.segment_idx : null,
      model: r.model,
      dims: r.dims,
      contentHash: r.content_hash,
      createdAt: r.created_at,
      vector: r.embedding.subarray(0, r.dims * 4).toString('base64'),
    });
  }
  return { records, last: rows.at(-1)?.pk ?? afterPk };
}

export function storedConversation(db: Db, id: string): ConversationRecord | undefined {
  const c = stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow | undefined;
  if (!c) return undefined;
  const segs = stmt(db, 'SELECT * FROM transcript_segments WHERE conversation_id = ? ORDER BY idx').all(
    id,
  ) as SegmentRow[];
  const actions = stmt(db, 'SELECT * FROM action_items WHERE conversation_id = ? ORDER BY pk').all(
    id,
  ) as ActionItemRow[];
  const events = stmt(db, 'SELECT * FROM events WHERE conversation_id = ? ORDER BY pk').all(id) as EventRow[];
  return toConversation(c, segs, actions, events);
}

export function storedMemory(db: Db, id: string): MemoryRecord | undefined {
  const m = stmt(db, 'SELECT * FROM memories WHERE id = ?').get(id) as MemoryRow | undefined;
  if (!m) return undefined;
  const tags = stmt(
    db,
    'SELECT t.name FROM memory_tags mt JOIN tags t ON t.pk = mt.tag_pk WHERE mt.memory_id = ? ORDER BY t.name',
  ).all(id) as { name: string }[];
  const versions = stmt(db, 'SELECT * FROM memory_versions WHERE memory_id = ? ORDER BY version').all(
    id,
  ) as VersionRow[];
  return toMemory(
    m,
    tags.map((t) => t.name),
    versions,
  );
}
