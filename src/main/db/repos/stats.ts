// Counts for `stats` and the UI header. conversations and memories count live rows; trashed counts
// memories and conversations in the trash.
import type { Stats } from '../../../shared/models';
import type { Db } from '../open';
import { stmt } from '../prepared';

const count = (db: Db, sql: string): number => (stmt(db, sql).get() as { n: number }).n;

function grouped(db: Db, sql: string): Record<string, number> {
  const rows = stmt(db, sql).all() as { k: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.k, r.n]));
}

export function stats(db: Db): Stats {
  return {
    conversations: count(db, 'SELECT count(*) AS n FROM conversations WHERE deleted_at IS NULL'),
    segments: count(db, 'SELECT count(*) AS n FROM transcript_segments'),
    memories: count(db, 'SELECT count(*) AS n FROM memories WHERE deleted_at IS NULL'),
    trashed: count(
      db,
      `SELECT (SELECT count(*) FROM memories WHERE deleted_at IS NOT NULL)
            + (SELECT count(*) FROM conversations WHERE deleted_at IS NOT NULL) AS n`,
    ),
    tags: count(db, 'SELECT count(*) AS n FROM tags'),
    inbox: grouped(db, 'SELECT status AS k, count(*) AS n FROM webhook_inbox GROUP BY status'),
    outbox: grouped(db, 'SELECT state AS k, count(*) AS n FROM outbox GROUP BY state'),
    embeddings: count(db, 'SELECT count(*) AS n FROM embeddings'),
  };
}
