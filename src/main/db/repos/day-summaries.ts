// OMI's end-of-day summaries, newest first.
import type { DaySummary } from '../../../shared/models';
import type { Db } from '../open';
import { stmt } from '../prepared';

export function listDaySummaries(db: Db, q: { limit: number; offset: number }): { items: DaySummary[]; total: number } {
  const items = stmt(
    db,
    `SELECT pk AS id, summary, created_at AS createdAt, received_at AS receivedAt FROM day_summaries
     ORDER BY created_at DESC, pk DESC LIMIT ? OFFSET ?`,
  ).all(q.limit, q.offset) as DaySummary[];
  const { n } = stmt(db, 'SELECT count(*) AS n FROM day_summaries').get() as { n: number };
  return { items, total: n };
}
