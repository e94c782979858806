// Conversations with their transcript segments, action items and events. An upsert replaces the
// children of a conversation wholesale: OMI always sends the complete conversation, so its latest
// delivery is the truth. The raw payload is stored beside the parsed columns.
import { createHash } from 'node:crypto';
import type { ConversationDetail, ConversationSummary } from '../../../shared/models';
import { AppError } from '../../errors';
import type { NormalizedConversation } from '../../webhook/omi-conversation';
import type { Db } from '../open';
import { stmt } from '../prepared';
import { audit, type WriteContext } from './audit';

type Origin = ConversationSummary['origin'];

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

/**
 * A stable hash of everything we store. Every stored field is parsed from the raw payload
 * (normalizeOmiConversation), so the payload's JSON is hashed: an identical re-delivery changes
 * nothing, and one that differs only in fields we do not parse (apps_results, photos) still replaces
 * the stored raw payload instead of being dropped as unchanged.
 */
export function conversationHash(c: NormalizedConversation): string {
  return hashRawJson(JSON.stringify(c.raw));
}

const hashRawJson = (json: string) => createHash('sha256').update(json).digest('hex');

/** What conversationHash was in earlier versions: the parsed fields and the payload together. */
const legacyHash = (c: NormalizedConversation) => createHash('sha256').update(JSON.stringify(c)).digest('hex');

export function upsertConversation(
  db: Db,
  c: NormalizedConversation,
  origin: Origin,
  ctx: WriteContext,
): { id: string; outcome: UpsertOutcome } {
  const raw = JSON.stringify(c.raw);
  const hash = hashRawJson(raw);
  const now = ctx.now().toISOString();
  return db.transaction(() => {
    const existing = stmt(db, 'SELECT content_hash FROM conversations WHERE id = ?').get(c.id) as
      { content_hash: string } | undefined;
    if (existing?.content_hash === hash) return { id: c.id, outcome: 'unchanged' as const };
    if (existing && existing.content_hash === legacyHash(c)) {
      // Stored before the hash changed and identical: only the hash is brought up to date.
      stmt(db, 'UPDATE conversations SET content_hash = ? WHERE id = ?').run(hash, c.id);
      return { id: c.id, outcome: 'unchanged' as const };
    }
    if (existing) {
      // A revision: keep what is about to be replaced.
      stmt(
        db,
        `INSERT INTO conversation_revisions (conversation_id, content_hash, title, overview, raw, replaced_at, replaced_by)
         SELECT id, content_hash, title, overview, raw, ?, ? FROM conversations WHERE id = ?`,
      ).run(now, origin, c.id);
    }

    stmt(
      db,
      `INSERT INTO conversations (id, created_at, started_at, finished_at, source, language, title, overview, emoji,
         category, status, discarded, starred, visibility, geolocation, raw, content_hash, origin, updated_at)
       VALUES (@id, @createdAt, @startedAt, @finishedAt, @source, @language, @title, @overview, @emoji,
         @category, @status, @discarded, @starred, @visibility, @geolocation, @raw, @hash, @origin, @now)
       ON CONFLICT (id) DO UPDATE SET
         created_at = excluded.created_at, started_at = excluded.started_at, finished_at = excluded.finished_at,
         source = excluded.source, language = excluded.language, title = excluded.title,
         overview = excluded.overview, emoji = excluded.emoji, category = excluded.category,
         status = excluded.status, discarded = excluded.discarded, starred = excluded.starred,
         visibility = excluded.visibility, geolocation = excluded.geolocation, raw = excluded.raw,
         content_hash = excluded.content_hash, updated_at = excluded.updated_at`,
    ).run({
      id: c.id,
      createdAt: c.createdAt ?? c.startedAt ?? now,
      startedAt: c.startedAt,
      finishedAt: c.finishedAt,
      source: c.source,
      language: c.language,
      title: c.title,
      overview: c.overview,
      emoji: c.emoji,
      category: c.category,
      status: c.status,
      discarded: c.discarded ? 1 : 0,
      starred: c.starred ? 1 : 0,
      visibility: c.visibility,
      geolocation: c.geolocation ? JSON.stringify(c.geolocation) : null,
      raw,
      hash,
      origin,
      now,
    });

    stmt(db, 'DELETE FROM transcript_segments WHERE conversation_id = ?').run(c.id);
    if (c.segments.length > 0) {
      // One statement for the whole transcript: SQLite walks the array, instead of a call per row.
      stmt(
        db,
        `INSERT INTO transcript_segments (conversation_id, idx, segment_id, text, speaker, speaker_id, is_user, person_id, start_s, end_s)
         SELECT ?, key, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7
         FROM json_each(?)`,
      ).run(
        c.id,
        JSON.stringify(
          c.segments.map((g) => [
            g.segmentId,
            g.text,
            g.speaker,
            g.speakerId,
            g.isUser ? 1 : 0,
            g.personId,
            g.start,
            g.end,
          ]),
        ),
      );
    }
    stmt(db, 'DELETE FROM action_items WHERE conversation_id = ?').run(c.id);
    for (const a of c.actionItems) {
      stmt(
        db,
        `INSERT INTO action_items (conversation_id, description, completed, created_at, updated_at, due_at, completed_at, origin)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(c.id, a.description, a.completed ? 1 : 0, a.createdAt, a.updatedAt, a.dueAt, a.completedAt, origin);
    }
    stmt(db, 'DELETE FROM events WHERE conversation_id = ?').run(c.id);
    for (const e of c.events) {
      stmt(
        db,
        'INSERT INTO events (conversation_id, title, description, start, duration_minutes, created) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(c.id, e.title, e.description, e.start, e.durationMinutes, e.created ? 1 : 0);
    }
    const outcome: UpsertOutcome = existing ? 'updated' : 'created';
    audit(db, ctx, outcome === 'created' ? 'create' : 'update', 'conversation', c.id, {
      segments: c.segments.length,
    });
    return { id: c.id, outcome };
  })();
}

interface SummaryRow {
  id: string;
  title: string;
  overview: string;
  emoji: string | null;
  category: string;
  source: string | null;
  started_at: string | null;
  finished_at: string | null;
  created_at: string;
  starred: number;
  origin: Origin;
  deleted_at: string | null;
  language: string | null;
  status: string | null;
  geolocation?: string | null;
  raw?: string | null;
}

function toSummary(r: SummaryRow): ConversationSummary {
  return {
    id: r.id,
    title: r.title,
    overview: r.overview,
    emoji: r.emoji,
    category: r.category,
    source: r.source,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    createdAt: r.created_at,
    starred: r.starred === 1,
    origin: r.origin,
    deletedAt: r.deleted_at,
  };
}

export interface ConversationQuery {
  trash: boolean;
  /** Inclusive ISO timestamps on the conversation's start (its creation when it has none). */
  from?: string;
  to?: string;
  categories?: string[];
  sources?: string[];
  starred?: boolean;
  limit: number;
  offset: number;
}

// One statement for every combination of filters (an absent filter binds NULL), so it is prepared once.
const CONVERSATION_FILTER = `WHERE (deleted_at IS NOT NULL) = ?
  AND (? IS NULL OR coalesce(started_at, created_at) >= ?)
  AND (? IS NULL OR coalesce(started_at, created_at) <= ?)
  AND (? IS NULL OR category IN (SELECT value FROM json_each(?)))
  AND (? IS NULL OR source IN (SELECT value FROM json_each(?)))
  AND (? IS NULL OR starred = ?)`;

export function listConversations(db: Db, q: ConversationQuery): { items: ConversationSummary[]; total: number } {
  const list = (values: readonly string[] | undefined) => (values?.length ? JSON.stringify(values) : null);
  const starred = q.starred === undefined ? null : q.starred ? 1 : 0;
  const args = [
    q.trash ? 1 : 0,
    q.from ?? null,
    q.from ?? null,
    q.to ?? null,
    q.to ?? null,
    list(q.categories),
    list(q.categories),
    list(q.sources),
    list(q.sources),
    starred,
    starred,
  ];
  const rows = stmt(
    db,
    `SELECT * FROM conversations ${CONVERSATION_FILTER}
     ORDER BY coalesce(started_at, created_at) DESC, pk DESC LIMIT ? OFFSET ?`,
  ).all(...args, q.limit, q.offset) as SummaryRow[];
  const { n } = stmt(db, `SELECT count(*) AS n FROM conversations ${CONVERSATION_FILTER}`).get(...args) as {
    n: number;
  };
  return { items: rows.map(toSummary), total: n };
}

/** The values the browse filters offer. */
export function conversationFacets(db: Db): { categories: string[]; sources: string[] } {
  const categories = stmt(db, 'SELECT DISTINCT category AS v FROM conversations ORDER BY v').all() as { v: string }[];
  const sources = stmt(
    db,
    'SELECT DISTINCT source AS v FROM conversations WHERE source IS NOT NULL ORDER BY v',
  ).all() as {
    v: string;
  }[];
  return { categories: categories.map((r) => r.v), sources: sources.map((r) => r.v) };
}

export function getConversation(db: Db, id: string): ConversationDetail {
  const row = stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(id) as SummaryRow | undefined;
  if (!row) throw new AppError('NOT_FOUND', `no conversation with id ${id}`);
  const segments = stmt(
    db,
    `SELECT idx AS "index", text, speaker, speaker_id AS speakerId, is_user AS isUser, person_id AS personId,
       start_s AS start, end_s AS "end" FROM transcript_segments WHERE conversation_id = ? ORDER BY idx`,
  ).all(id) as (Omit<ConversationDetail['segments'][number], 'isUser'> & { isUser: number })[];
  const actionItems = stmt(
    db,
    'SELECT pk AS id, description, completed, due_at AS dueAt FROM action_items WHERE conversation_id = ? AND deleted_at IS NULL ORDER BY pk',
  ).all(id) as (Omit<ConversationDetail['actionItems'][number], 'completed'> & { completed: number })[];
  const events = stmt(
    db,
    'SELECT pk AS id, title, description, start, duration_minutes AS durationMinutes FROM events WHERE conversation_id = ? ORDER BY pk',
  ).all(id) as ConversationDetail['events'];
  const raw = parseJson(row.raw);
  return {
    ...toSummary(row),
    language: row.language,
    status: row.status,
    segments: segments.map((g) => ({ ...g, isUser: g.isUser === 1 })),
    actionItems: actionItems.map((a) => ({ ...a, completed: a.completed === 1 })),
    events,
    location: toLocation(parseJson(row.geolocation)),
    appResults: toAppResults(raw),
    raw: raw === undefined ? null : JSON.stringify(raw, null, 2),
    memories: stmt(
      db,
      'SELECT id, content, category FROM memories WHERE conversation_id = ? AND deleted_at IS NULL ORDER BY created_at, pk',
    ).all(id) as ConversationDetail['memories'],
  };
}

/** Stored JSON text, or undefined when absent or unreadable (an old row must still open). */
function parseJson(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const record = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v : null);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function toLocation(geo: unknown): ConversationDetail['location'] {
  const g = record(geo);
  if (!g) return null;
  const location = { address: str(g.address), latitude: num(g.latitude), longitude: num(g.longitude) };
  return location.address === null && (location.latitude === null || location.longitude === null) ? null : location;
}

/** OMI names them `apps_results` (`plugins_results` in older payloads); unknown shapes are skipped. */
function toAppResults(raw: unknown): ConversationDetail['appResults'] {
  const r = record(raw);
  const list = r?.apps_results ?? r?.plugins_results;
  if (!Array.isArray(list)) return [];
  return list.flatMap((item) => {
    const a = record(item);
    const content = str(a?.content);
    return content === null ? [] : [{ appId: str(a?.app_id) ?? str(a?.plugin_id), content }];
  });
}

export function conversationRevisions(
  db: Db,
  id: string,
): { contentHash: string; title: string; overview: string; replacedAt: string; replacedBy: string }[] {
  return stmt(
    db,
    `SELECT content_hash AS contentHash, title, overview, replaced_at AS replacedAt, replaced_by AS replacedBy
     FROM conversation_revisions WHERE conversation_id = ? ORDER BY pk`,
  ).all(id) as ReturnType<typeof conversationRevisions>;
}
