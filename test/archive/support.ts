// Helpers for the archive suites: a logical dump of everything an archive carries (to compare a
// vault before and after), and the sha256 of a database's files (to show nothing was written).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Db } from '../../src/main/db/open';

const DUMP_QUERIES: Record<string, string> = {
  conversations: `SELECT id, created_at, started_at, finished_at, source, language, title, overview, emoji, category,
    status, discarded, starred, visibility, geolocation, raw, content_hash, origin, updated_at, deleted_at
    FROM conversations ORDER BY id`,
  segments: `SELECT conversation_id, idx, segment_id, text, speaker, speaker_id, is_user, person_id, start_s, end_s
    FROM transcript_segments ORDER BY conversation_id, idx`,
  actionItems: `SELECT conversation_id, remote_id, description, completed, created_at, updated_at, due_at, completed_at,
    origin, deleted_at FROM action_items ORDER BY conversation_id, pk`,
  events: `SELECT conversation_id, title, description, start, duration_minutes, created FROM events
    ORDER BY conversation_id, pk`,
  memories: `SELECT id, content, category, visibility, conversation_id, segment_start, segment_end, manually_added,
    reviewed, edited, origin, remote_id, remote_hash, created_at, updated_at, deleted_at FROM memories ORDER BY id`,
  memoryTags: `SELECT mt.memory_id, lower(t.name) AS name FROM memory_tags mt JOIN tags t ON t.pk = mt.tag_pk
    ORDER BY mt.memory_id, lower(t.name)`,
  memoryVersions: `SELECT memory_id, version, content, category, visibility, tags, changed_by, reason, changed_at
    FROM memory_versions ORDER BY memory_id, version`,
  daySummaries: 'SELECT summary, uid, created_at, received_at FROM day_summaries ORDER BY created_at, summary, pk',
  embeddings: `SELECT e.kind, coalesce(m.id, c.id, g.conversation_id) AS item, g.idx, e.model, e.dims, e.content_hash,
    e.created_at, hex(v.embedding) AS vector FROM embeddings e
    LEFT JOIN memories m ON e.kind = 'memory' AND m.pk = e.item_pk
    LEFT JOIN conversations c ON e.kind = 'conversation' AND c.pk = e.item_pk
    LEFT JOIN transcript_segments g ON e.kind = 'segment' AND g.pk = e.item_pk
    LEFT JOIN vec_embeddings v ON v.rowid = e.pk ORDER BY 1, 2, 3, 4`,
  ftsMemories: "SELECT count(*) AS n FROM fts_memories WHERE fts_memories MATCH 'a* OR e* OR i* OR o*'",
};

export function logicalDump(db: Db): Record<string, unknown[]> {
  return Object.fromEntries(Object.entries(DUMP_QUERIES).map(([k, sql]) => [k, db.prepare(sql).all()]));
}

/** sha256 over the database file and its WAL, as they are on disk. */
export function fileHash(dbPath: string): string {
  const h = createHash('sha256');
  for (const p of [dbPath, `${dbPath}-wal`]) h.update(existsSync(p) ? readFileSync(p) : Buffer.alloc(0));
  return h.digest('hex');
}
