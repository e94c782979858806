// Emptying the trash: trashed memories and conversations are removed for good (their versions, tags,
// segments, action items, events and embeddings go with them through foreign keys and triggers).
// Each purged row is audited. The work runs in small transactions with a yield to the event loop
// between them, so a large trash never stalls the listener or the UI for long (DESIGN.md §10).
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { audit, type WriteContext } from '../db/repos/audit';

/** Rows per transaction: a few milliseconds of work each on the encrypted database. */
const BATCH = 200;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface EmptiedTrash {
  memories: number;
  conversations: number;
}

/** Purges what was in the trash when the call began; items trashed meanwhile stay for next time. */
export async function emptyTrash(db: Db, ctx: WriteContext): Promise<EmptiedTrash> {
  const cutoff = ctx.now().toISOString();
  const purged = { memories: 0, conversations: 0 };
  const tables = [
    { key: 'memories', entity: 'memory' },
    { key: 'conversations', entity: 'conversation' },
  ] as const;
  for (const { key, entity } of tables) {
    for (;;) {
      const n = db.transaction(() => {
        const ids = stmt(db, `SELECT id FROM ${key} WHERE deleted_at IS NOT NULL AND deleted_at <= ? LIMIT ${BATCH}`)
          .pluck()
          .all(cutoff) as string[];
        const remove = stmt(db, `DELETE FROM ${key} WHERE id = ? AND deleted_at IS NOT NULL`);
        for (const id of ids) {
          remove.run(id);
          audit(db, ctx, 'purge', entity, id);
        }
        return ids.length;
      })();
      purged[key] += n;
      if (n < BATCH) break;
      await yieldToEventLoop();
    }
  }
  db.transaction(() => audit(db, ctx, 'empty-trash', 'profile', null, { ...purged }))();
  return purged;
}
