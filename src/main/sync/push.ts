// Push: the vault -> OMI, through the outbox. A job names one memory ("memory:<id>"); the relay leases
// it, compares the memory's current state with its OMI link and does what is left to do: create
// (batched, up to 25 per request), update (PATCH) or delete. Because a job pushes the state rather
// than replaying an operation, running it twice is harmless, and several queued edits of one memory
// coalesce into one request.
//
// Exactly once across crashes: a lease records its owner process; a restarted process takes back the
// leases of a dead owner at once (others expire). Before a create is sent, its content is recorded;
// a create that may already have reached OMI (recorded, never linked: the answer was lost or the
// process died) is first looked up among OMI's newest memories by every content it was sent with,
// and adopted if there; the pull adopts such memories the same way. Creates are never retried inside
// the client, only here, after that lookup. Before any create, a live local memory already linked to
// an identical OMI memory means OMI has it.
//
// Failures follow the relay's policy (relay.ts): retried with backoff, dead-lettered, or a pause.
import type { Db } from '../db/open';
import type { WriteContext } from '../db/repos/audit';
import { deleteMemory, findMemory } from '../db/repos/memories';
import type { Memory } from '../../shared/models';
import * as repo from '../db/repos/sync';
import type { OmiClient } from './client';
import { OmiApiError } from './errors';
import { memoryHash, type MemoryValues } from './hash';
import { createRelay, emptyPushReport, type PushOptions, type PushReport } from './relay';
import type { RemoteMemory } from './schemas';

export type { PushOptions, PushReport } from './relay';

export const MEMORY_JOB = 'omi.memory';
export const BATCH_LIMIT = 25;

type Action =
  | { kind: 'noop' }
  | { kind: 'conflict' }
  | { kind: 'create'; memory: Memory }
  | { kind: 'update'; memory: Memory; remoteId: string }
  | { kind: 'delete'; remoteId: string };

function plan(db: Db, job: repo.OutboxJob): Action {
  const id = String(job.payload.memoryId);
  const link = repo.memoryLink(db, id);
  const memory = link && findMemory(db, id);
  if (!link || !memory) return { kind: 'noop' }; // purged: its delete job ran before the purge
  const linked = link.remoteId !== null && link.remoteDeletedAt === null;
  if (memory.deletedAt) return linked ? { kind: 'delete', remoteId: link.remoteId! } : { kind: 'noop' };
  if (!linked) return { kind: 'create', memory };
  if (repo.openConflict(db, id)) return { kind: 'conflict' };
  if (memoryHash(memory) === link.remoteHash) return { kind: 'noop' };
  return { kind: 'update', memory, remoteId: link.remoteId! };
}

const toRemote = (m: MemoryValues) => ({
  content: m.content,
  category: m.category,
  visibility: m.visibility,
  tags: [...m.tags],
});

export async function push(db: Db, client: OmiClient, ctx: WriteContext, options: PushOptions): Promise<PushReport> {
  const report: PushReport = emptyPushReport();
  const relay = createRelay(db, ctx, options, report);
  const { now, done, failed } = relay;

  /** Links a memory to its OMI copy; false if that copy already belongs to another local memory. */
  function link(memory: Memory, remote: RemoteMemory): boolean {
    const owner = repo.memoryByRemoteId(db, remote.id);
    if (owner && owner.id !== memory.id) return false;
    repo.setMemoryRemote(db, memory.id, remote.id, memoryHash(memory));
    return true;
  }

  /** OMI's newest memories, read back until every content is found or the pages predate `since`. */
  async function lookup(contents: Set<string>, since: number): Promise<Map<string, RemoteMemory>> {
    const found = new Map<string, RemoteMemory>();
    for (let offset = 0; ; offset += options.lookupPage) {
      const page = await client.listMemories(options.lookupPage, offset);
      for (const m of page) if (contents.has(m.content) && !found.has(m.content)) found.set(m.content, m);
      const older = page.every((m) => m.created_at !== null && Date.parse(m.created_at) < since);
      if (found.size === contents.size || page.length < options.lookupPage || older) return found;
    }
  }

  /**
   * Creates that may already have reached OMI (sent, answer never seen): find them among OMI's newest
   * memories by any content they were sent with, and link them. Returns the jobs it could not settle
   * because the lookup failed (they were failed), so the caller skips them.
   */
  async function adopt(jobs: repo.OutboxJob[]): Promise<Set<number>> {
    const inFlight = jobs
      .map((job) => ({
        job,
        id: String(job.payload.memoryId),
        sent: repo.sentContents(db, String(job.payload.memoryId)),
      }))
      .filter((x) => {
        if (x.sent.length === 0) return false;
        // Only creates need finding; an edit in flight is simply sent again (PATCH is idempotent).
        const link = repo.memoryLink(db, x.id);
        return link !== undefined && (link.remoteId === null || link.remoteDeletedAt !== null);
      });
    if (inFlight.length === 0) return new Set();
    const all = inFlight.flatMap((x) => x.sent);
    const since = Math.min(...all.map((x) => Date.parse(x.at))) - options.lookupMarginMs;
    let found: Map<string, RemoteMemory>;
    try {
      found = await lookup(new Set(all.map((x) => x.content)), since);
    } catch (err) {
      for (const x of inFlight) failed(x.job, err);
      return new Set(inFlight.map((x) => x.job.pk));
    }
    db.transaction(() => {
      for (const x of inFlight) {
        const remote = x.sent.map((s) => found.get(s.content)).find((r) => r !== undefined);
        const owner = remote && repo.memoryByRemoteId(db, remote.id);
        // Linked at OMI's version: whatever changed here since is pushed as an edit or a delete.
        if (remote && (!owner || owner.id === x.id)) {
          repo.setMemoryRemote(db, x.id, remote.id, memoryHash(toRemote(remote)));
          report.adopted++;
        } else repo.clearSent(db, x.id); // never arrived: send again
      }
    })();
    return new Set();
  }

  async function createAll(jobs: { job: repo.OutboxJob; memory: Memory }[]): Promise<void> {
    // A memory identical to one OMI already holds (and we have linked) is not sent again.
    const fresh: typeof jobs = [];
    for (const j of jobs) {
      const twin = repo.linkedMemoryWithContent(db, j.memory.content, j.memory.id);
      if (twin) {
        repo.completeJob(db, j.job.pk, now());
        report.unchanged++;
      } else fresh.push(j);
    }
    for (let i = 0; i < fresh.length; i += BATCH_LIMIT) await createBatch(fresh.slice(i, i + BATCH_LIMIT));
  }

  async function createBatch(batch: { job: repo.OutboxJob; memory: Memory }[]): Promise<void> {
    let created: RemoteMemory[];
    // Durable before the request: what we are about to create (see adopt()).
    db.transaction(() => {
      for (const j of batch) {
        repo.noteSent(db, j.memory.id, { content: j.memory.content, hash: memoryHash(j.memory), at: now() });
      }
    })();
    try {
      created =
        batch.length === 1
          ? [await client.createMemory(toRemote(batch[0]!.memory), batch[0]!.job.idempotencyKey)]
          : (
              await client.createMemories(
                batch.map((j) => toRemote(j.memory)),
                batch.map((j) => j.job.idempotencyKey).join(','),
              )
            ).memories;
    } catch (err) {
      // One invalid memory fails a whole batch: send them one by one to find it.
      if (batch.length > 1 && err instanceof OmiApiError && err.kind === 'validation') {
        for (const j of batch) await createBatch([j]);
        return;
      }
      for (const j of batch) failed(j.job, err);
      return;
    }
    const byContent = new Map(created.map((m) => [m.content, m]));
    db.transaction(() => {
      for (const [i, j] of batch.entries()) {
        const remote = byContent.get(j.memory.content) ?? created[i];
        if (remote && !link(j.memory, remote)) {
          // OMI returned the id of a memory another local one is linked to: they are the same memory.
          repo.completeJob(db, j.job.pk, now());
          report.unchanged++;
          continue;
        }
        done(j.job, 'created');
      }
    })();
  }

  async function one(job: repo.OutboxJob, action: Action): Promise<void> {
    try {
      if (action.kind === 'update') {
        repo.noteSent(db, action.memory.id, {
          content: action.memory.content,
          hash: memoryHash(action.memory),
          at: now(),
        });
        await client.updateMemory(action.remoteId, toRemote(action.memory), job.idempotencyKey);
        db.transaction(() => {
          repo.setMemoryRemote(db, action.memory.id, action.remoteId, memoryHash(action.memory));
          done(job, 'updated');
        })();
      } else if (action.kind === 'delete') {
        try {
          await client.deleteMemory(action.remoteId, job.idempotencyKey);
        } catch (err) {
          if (!(err instanceof OmiApiError && err.kind === 'not_found')) throw err; // already gone
        }
        db.transaction(() => {
          repo.markMemoryRemoteDeleted(db, String(job.payload.memoryId), now());
          done(job, 'deleted');
        })();
      }
    } catch (err) {
      if (action.kind === 'update' && err instanceof OmiApiError && err.kind === 'not_found') {
        // Deleted on OMI meanwhile: as in the pull's deletion diff, it goes to the trash here.
        db.transaction(() => {
          deleteMemory(db, action.memory.id, ctx);
          repo.markMemoryRemoteDeleted(db, action.memory.id, now());
          done(job, 'unchanged');
        })();
        return;
      }
      failed(job, err);
    }
  }

  await relay.drain(MEMORY_JOB, async (leased) => {
    const creates: { job: repo.OutboxJob; memory: Memory }[] = [];
    const others: { job: repo.OutboxJob; action: Action }[] = [];
    const unsettled = await adopt(leased);
    for (const job of leased) {
      if (unsettled.has(job.pk)) continue;
      const action = plan(db, job);
      if (action.kind === 'noop') done(job, 'unchanged');
      else if (action.kind === 'conflict') repo.releaseJob(db, job.pk, relay.later(60 * 60_000), now());
      else if (action.kind === 'create') creates.push({ job, memory: action.memory });
      else others.push({ job, action });
    }
    await createAll(creates);
    for (const o of others) await one(o.job, o.action);
  });
  return report;
}
