// Embedding work as outbox jobs. Whoever changes embeddable text (a webhook delivery, a sync pull, a
// local edit) calls enqueueEmbedding inside the same transaction, so the job is as durable as the
// change; the embedding relay leases `embed` jobs and stores vectors. Nothing is queued while the
// profile has no embedding provider: a later pass over items without vectors catches them up.
//
// One unfinished job per item is enough: its entity (`embed:<kind>:<id>`) keeps jobs for one item in
// order, and a pending one already covers any newer text, because the relay reads the text when it
// runs, not when it was queued.
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { readSetting } from '../db/repos/settings';
import { enqueueJob } from '../db/repos/sync';

export const EMBED_JOB = 'embed';

export interface EmbedRef {
  kind: 'memory' | 'conversation';
  id: string;
}

/** Whether the profile sends text to an embedding provider at all. */
export function embeddingEnabled(db: Db): boolean {
  const choice = readSetting(db, 'embedding.provider');
  return choice === 'gemini' || choice === 'ollama';
}

/** Queues an embed job for each item that has no unfinished one. Call inside the change's transaction. */
export function enqueueEmbedding(db: Db, refs: readonly EmbedRef[], now: Date): number {
  if (refs.length === 0 || !embeddingEnabled(db)) return 0;
  const at = now.toISOString();
  let queued = 0;
  for (const ref of refs) {
    const entity = `${EMBED_JOB}:${ref.kind}:${ref.id}`;
    const open = stmt(db, "SELECT 1 FROM outbox WHERE entity = ? AND state IN ('pending', 'leased') LIMIT 1").get(
      entity,
    );
    if (open) continue;
    enqueueJob(
      db,
      { kind: EMBED_JOB, entity, idempotencyKey: `${entity}:${now.getTime()}:${queued}`, payload: ref },
      at,
    );
    queued++;
  }
  return queued;
}
