// Embedding work as outbox jobs. Whoever changes embeddable text (a webhook delivery, a sync pull, a
// local edit) calls enqueueEmbedding inside the same transaction, so the job is as durable as the
// change; the embedding relay leases `embed` jobs and stores vectors. Nothing is queued while the
// profile has no embedding provider: a later pass over items without vectors catches them up.
//
// One pending job per item is enough: its entity (`embed:<kind>:<id>`) keeps jobs for one item in
// order, and a pending one already covers any newer text, because the relay reads the text when it
// runs, not when it was queued. A job already leased may have read the old text, so an edit then
// queues one more, which runs after it.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
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

/** Queues an embed job for each item that has no pending one. Call inside the change's transaction. */
export function enqueueEmbedding(db: Db, refs: readonly EmbedRef[], now: Date): number {
  if (refs.length === 0 || !embeddingEnabled(db)) return 0;
  const at = now.toISOString();
  let queued = 0;
  for (const ref of refs) {
    const entity = `${EMBED_JOB}:${ref.kind}:${ref.id}`;
    const open = stmt(db, "SELECT 1 FROM outbox WHERE entity = ? AND state = 'pending' LIMIT 1").get(entity);
    if (open) continue;
    enqueueJob(
      db,
      // A fresh key each time: an item is queued again whenever its last job has finished. (A UUID, not a
      // ULID: the ulid package takes ~0.1 ms per id here, which a sweep queueing thousands would feel.)
      { kind: EMBED_JOB, entity, idempotencyKey: `${entity}:${randomUUID()}`, payload: ref },
      at,
    );
    queued++;
  }
  return queued;
}

/** A job's payload as stored: what the relay reads back (a malformed one is a dead letter). */
export const EmbedPayload = z.object({ kind: z.enum(['memory', 'conversation']), id: z.string().min(1) });

/**
 * Deletes finished embed jobs older than `before`: a re-embed after a model change queues one job per
 * item, and keeping them all would grow the outbox by the size of the vault each time.
 */
export function pruneDoneEmbedJobs(db: Db, before: Date): number {
  return stmt(db, "DELETE FROM outbox WHERE kind = ? AND state = 'done' AND updated_at < ?").run(
    EMBED_JOB,
    before.toISOString(),
  ).changes;
}

/**
 * Queues jobs for items a sweep found without a current vector, except those with a job in flight
 * (the next sweep sees what it stored) or a dead letter: that one waits for the user (the debug page
 * retries it), rather than being queued again on every sweep. Call inside a transaction.
 */
export function enqueueSwept(db: Db, refs: readonly EmbedRef[], now: Date): number {
  const fresh = refs.filter(
    (ref) =>
      !stmt(db, "SELECT 1 FROM outbox WHERE entity = ? AND state IN ('leased', 'dead') LIMIT 1").get(
        `${EMBED_JOB}:${ref.kind}:${ref.id}`,
      ),
  );
  return enqueueEmbedding(db, fresh, now);
}
