// What the memory page shows beside the text: where the memory came from (its conversation and,
// when OMI said which, the transcript lines it was drawn from) and where it stands with OMI (never
// synced, waiting to be pushed, in sync, a failed push, gone from OMI, or in conflict).
import type { MemoryOrigin, MemorySync } from '../../../shared/models';
import type { Db } from '../open';
import { stmt } from '../prepared';

/** Transcript lines quoted as provenance, at most this many. */
const MAX_LINES = 20;

export function memoryProvenance(db: Db, id: string): MemoryOrigin {
  const m = stmt(db, 'SELECT conversation_id, segment_start, segment_end FROM memories WHERE id = ?').get(id) as
    { conversation_id: string | null; segment_start: number | null; segment_end: number | null } | undefined;
  if (!m?.conversation_id) return null;
  const c = stmt(db, 'SELECT title FROM conversations WHERE id = ?').get(m.conversation_id) as
    { title: string } | undefined;
  const lines =
    c && m.segment_start !== null
      ? (stmt(
          db,
          `SELECT idx AS "index", text, start_s AS startS FROM transcript_segments
           WHERE conversation_id = ? AND idx BETWEEN ? AND ? ORDER BY idx LIMIT ?`,
        ).all(m.conversation_id, m.segment_start, m.segment_end ?? m.segment_start, MAX_LINES) as {
          index: number;
          text: string;
          startS: number;
        }[])
      : [];
  return { conversationId: m.conversation_id, conversationTitle: c?.title ?? null, lines };
}

export function memorySync(db: Db, id: string): MemorySync {
  const m = stmt(db, 'SELECT remote_id, remote_deleted_at FROM memories WHERE id = ?').get(id) as
    { remote_id: string | null; remote_deleted_at: string | null } | undefined;
  const job = stmt(
    db,
    `SELECT state, last_error FROM outbox WHERE entity = ? AND state IN ('pending', 'leased', 'dead')
     ORDER BY pk DESC LIMIT 1`,
  ).get(`memory:${id}`) as { state: string; last_error: string | null } | undefined;
  const conflict = stmt(db, 'SELECT 1 FROM sync_conflicts WHERE memory_id = ? AND resolved_at IS NULL').get(id);
  const state = conflict
    ? 'conflict'
    : job?.state === 'dead'
      ? 'failed'
      : job
        ? 'pending'
        : m?.remote_deleted_at
          ? 'deleted-remotely'
          : m?.remote_id
            ? 'synced'
            : 'local';
  return { state, remoteId: m?.remote_id ?? null, lastError: job?.state === 'dead' ? job.last_error : null };
}
