// Push of action items: the vault -> OMI, through the outbox, like memories (push.ts). A job names one
// row ("action_item:<pk>"); the relay compares the row with its OMI link and does what is left: create
// (batched, up to 50 per request as OMI documents), update (PATCH) or delete. A job pushes the row's
// current state, so running it twice is harmless and queued edits coalesce.
//
// A conversation's own item that is not linked yet is first matched to its twin, OMI's copy pulled
// from the action item list (see repos/action-items.ts): the change goes to the twin and is pushed as
// an edit, so OMI never gets a second copy. Only an item OMI does not list is created there.
//
// OMI's action item ids are random, so a create sent twice would make two items: before a create is
// sent its description is recorded, and a create whose answer was lost (or whose process died) is
// looked up among OMI's newest items before it is sent again, and adopted if there. After a write, the
// row takes OMI's answer (OMI stamps completed_at itself) unless the user changed it meanwhile.
import { ulid } from 'ulid';
import type { Db } from '../db/open';
import * as items from '../db/repos/action-items';
import type { ActionItemRow } from '../db/repos/action-items';
import type { WriteContext } from '../db/repos/audit';
import { readSetting } from '../db/repos/settings';
import * as repo from '../db/repos/sync';
import type { NewRemoteActionItem, OmiClient } from './client';
import { OmiApiError } from './errors';
import { actionItemHash } from './hash';
import { createRelay, emptyPushReport, type PushOptions, type PushReport } from './relay';
import type { RemoteActionItem } from './schemas';

export const ACTION_ITEM_JOB = 'omi.action_item';
export const ACTION_ITEM_BATCH_LIMIT = 50;

/** Queues a push of one action item. Called inside the transaction of the local change. */
export function enqueueActionItemSync(db: Db, pk: number, reason: string, now: string): void {
  // Without a key nothing is queued; the first full pass after one is set pushes what changed.
  if (readSetting(db, 'omi.apiKey') === undefined) return;
  repo.enqueueJob(
    db,
    {
      kind: ACTION_ITEM_JOB,
      entity: `action_item:${pk}`,
      idempotencyKey: `action_item:${pk}:${reason}:${ulid()}`,
      payload: { actionItemPk: pk, reason },
    },
    now,
  );
}

export const localHash = (r: ActionItemRow): string => actionItemHash(r);

export const remoteHash = (a: RemoteActionItem): string =>
  actionItemHash({ description: a.description, completed: a.completed, dueAt: a.due_at, completedAt: a.completed_at });

export const remoteValues = (a: RemoteActionItem): items.RemoteActionItemValues => ({
  remoteId: a.id,
  description: a.description,
  completed: a.completed,
  createdAt: a.created_at,
  updatedAt: a.updated_at,
  dueAt: a.due_at,
  completedAt: a.completed_at,
  conversationId: a.conversation_id,
});

/** Pushes every action item change for which no job exists (changed without a key, job lost). */
export function reconcileActionItems(db: Db, now: string): void {
  for (const row of items.linkedActionItems(db)) {
    if (!row.deletedAt && localHash(row) === row.remoteHash) continue;
    repo.enqueueJob(
      db,
      {
        kind: ACTION_ITEM_JOB,
        entity: `action_item:${row.pk}`,
        idempotencyKey: `action_item:${row.pk}:reconcile:${now}`,
        payload: { actionItemPk: row.pk, reason: 'reconcile' },
      },
      now,
    );
  }
}

type Action =
  | { kind: 'noop' }
  | { kind: 'create'; row: ActionItemRow }
  | { kind: 'update'; row: ActionItemRow; remoteId: string }
  | { kind: 'delete'; row: ActionItemRow; remoteId: string };

const pkOf = (job: repo.OutboxJob) => Number(job.payload.actionItemPk);

const toRemote = (r: ActionItemRow): Omit<NewRemoteActionItem, 'conversation_id'> => ({
  description: r.description,
  completed: r.completed,
  due_at: r.dueAt,
});

export async function pushActionItems(
  db: Db,
  client: OmiClient,
  ctx: WriteContext,
  options: PushOptions,
): Promise<PushReport> {
  const report = emptyPushReport();
  const relay = createRelay(db, ctx, options, report);
  const { now, done, failed } = relay;

  function plan(job: repo.OutboxJob): Action {
    const row = items.findActionItem(db, pkOf(job));
    if (!row) return { kind: 'noop' }; // replaced with its conversation: OMI's version came back with it
    const linked = row.remoteId !== null && row.remoteDeletedAt === null;
    if (row.deletedAt) return linked ? { kind: 'delete', row, remoteId: row.remoteId! } : { kind: 'noop' };
    if (!linked) {
      const twin = items.findTwin(db, row);
      if (!twin) return { kind: 'create', row };
      if (twin.deletedAt) return { kind: 'noop' }; // the user trashed OMI's copy; its delete is its own job
      // The user's change to the child goes to OMI's copy.
      items.copyActionItemValues(db, row, twin.pk, now());
      const updated = items.findActionItem(db, twin.pk)!;
      return localHash(updated) === updated.remoteHash
        ? { kind: 'noop' }
        : { kind: 'update', row: updated, remoteId: updated.remoteId! };
    }
    if (localHash(row) === row.remoteHash) return { kind: 'noop' };
    return { kind: 'update', row, remoteId: row.remoteId! };
  }

  /** OMI answered a write of `sentHash`: the row takes the answer unless the user changed it since. */
  function settle(pk: number, sentHash: string, remote: RemoteActionItem): void {
    const current = items.findActionItem(db, pk);
    if (current && !current.deletedAt && localHash(current) === sentHash) {
      items.applyRemoteActionItem(db, pk, remoteValues(remote), remoteHash(remote));
    } else {
      items.setActionItemRemote(db, pk, remote.id, remoteHash(remote), remote.conversation_id);
    }
  }

  /** OMI's newest items, read back until every description is found or the pages predate `since`. */
  async function lookup(descriptions: Set<string>, since: number): Promise<RemoteActionItem[]> {
    const found: RemoteActionItem[] = [];
    for (let offset = 0; ; offset += options.lookupPage) {
      const page = await client.listActionItems(options.lookupPage, offset);
      for (const a of page) if (descriptions.has(a.description)) found.push(a);
      const older = page.every((a) => a.created_at !== null && Date.parse(a.created_at) < since);
      if (page.length < options.lookupPage || older) return found;
    }
  }

  /** Creates that may already have reached OMI: found by description and linked, else sent again. */
  async function adopt(jobs: repo.OutboxJob[]): Promise<Set<number>> {
    const inFlight = jobs
      .map((job) => ({ job, row: items.findActionItem(db, pkOf(job)), sent: items.actionItemSent(db, pkOf(job)) }))
      .filter(
        (x): x is typeof x & { row: ActionItemRow } =>
          x.row !== undefined && x.sent.length > 0 && (x.row.remoteId === null || x.row.remoteDeletedAt !== null),
      );
    if (inFlight.length === 0) return new Set();
    const all = inFlight.flatMap((x) => x.sent);
    const since = Math.min(...all.map((x) => Date.parse(x.at))) - options.lookupMarginMs;
    let found: RemoteActionItem[];
    try {
      found = await lookup(new Set(all.map((x) => x.description)), since);
    } catch (err) {
      for (const x of inFlight) failed(x.job, err);
      return new Set(inFlight.map((x) => x.job.pk));
    }
    db.transaction(() => {
      const taken = new Set<string>();
      for (const x of inFlight) {
        const descriptions = new Set(x.sent.map((s) => s.description));
        const remote = found.find(
          (a) =>
            descriptions.has(a.description) &&
            !taken.has(a.id) &&
            (a.conversation_id ?? null) === (x.row.conversationId ?? x.row.remoteConversationId) &&
            items.actionItemByRemoteId(db, a.id) === undefined,
        );
        if (remote) {
          taken.add(remote.id);
          // Linked at OMI's version: whatever changed here since is pushed as an edit or a delete.
          items.setActionItemRemote(db, x.row.pk, remote.id, remoteHash(remote), remote.conversation_id);
          report.adopted++;
        } else items.clearActionItemSent(db, x.row.pk); // never arrived: send again
      }
    })();
    return new Set();
  }

  async function createBatch(batch: { job: repo.OutboxJob; row: ActionItemRow }[]): Promise<void> {
    const hashes = batch.map((j) => localHash(j.row));
    // Durable before the request: what we are about to create (see adopt()).
    db.transaction(() => {
      for (const [i, j] of batch.entries()) {
        items.noteActionItemSent(db, j.row.pk, { description: j.row.description, hash: hashes[i]!, at: now() });
      }
    })();
    const body = batch.map((j) => ({
      ...toRemote(j.row),
      conversation_id: j.row.conversationId ?? j.row.remoteConversationId,
    }));
    let created: RemoteActionItem[];
    try {
      created =
        batch.length === 1
          ? [await client.createActionItem(body[0]!, batch[0]!.job.idempotencyKey)]
          : await client.createActionItems(body, batch.map((j) => j.job.idempotencyKey).join(','));
    } catch (err) {
      // One invalid item fails a whole batch: send them one by one to find it.
      if (batch.length > 1 && err instanceof OmiApiError && err.kind === 'validation') {
        for (const j of batch) await createBatch([j]);
        return;
      }
      for (const j of batch) failed(j.job, err);
      return;
    }
    db.transaction(() => {
      for (const [i, j] of batch.entries()) {
        const remote =
          created[i]?.description === j.row.description
            ? created[i]
            : created.find((a) => a.description === j.row.description);
        // Without an answer for it the record of the send stays: the next pull or pass adopts it.
        if (remote && items.actionItemByRemoteId(db, remote.id) === undefined) settle(j.row.pk, hashes[i]!, remote);
        done(j.job, 'created');
      }
    })();
  }

  async function one(job: repo.OutboxJob, action: Exclude<Action, { kind: 'noop' | 'create' }>): Promise<void> {
    const pk = action.row.pk;
    try {
      if (action.kind === 'update') {
        const sentHash = localHash(action.row);
        items.noteActionItemSent(db, pk, { description: action.row.description, hash: sentHash, at: now() });
        const answer = await client.updateActionItem(action.remoteId, toRemote(action.row), job.idempotencyKey);
        db.transaction(() => {
          settle(pk, sentHash, answer);
          done(job, 'updated');
        })();
      } else {
        try {
          await client.deleteActionItem(action.remoteId, job.idempotencyKey);
        } catch (err) {
          if (!(err instanceof OmiApiError && err.kind === 'not_found')) throw err; // already gone
        }
        db.transaction(() => {
          items.markActionItemDeletedOnOmi(db, pk, now());
          done(job, 'deleted');
        })();
      }
    } catch (err) {
      if (action.kind === 'update' && err instanceof OmiApiError && err.kind === 'not_found') {
        // Deleted on OMI meanwhile: as in the pull's deletion diff, it goes to the trash here.
        db.transaction(() => {
          items.trashRemoteDeletedActionItem(db, pk, now());
          done(job, 'unchanged');
        })();
        return;
      }
      failed(job, err);
    }
  }

  await relay.drain(ACTION_ITEM_JOB, async (leased) => {
    const unsettled = await adopt(leased);
    const creates: { job: repo.OutboxJob; row: ActionItemRow }[] = [];
    const others: { job: repo.OutboxJob; action: Exclude<Action, { kind: 'noop' | 'create' }> }[] = [];
    for (const job of leased) {
      if (unsettled.has(job.pk)) continue;
      const action = db.transaction(() => plan(job))();
      if (action.kind === 'noop') done(job, 'unchanged');
      else if (action.kind === 'create') creates.push({ job, row: action.row });
      else others.push({ job, action });
    }
    for (let i = 0; i < creates.length; i += ACTION_ITEM_BATCH_LIMIT) {
      await createBatch(creates.slice(i, i + ACTION_ITEM_BATCH_LIMIT));
    }
    for (const o of others) await one(o.job, o.action);
  });
  return report;
}
