// Pull: OMI -> the vault. Memories, conversations (with transcripts) and standalone action items are
// read newest-first; an incremental pass stops after the first page that holds an item we already
// know, a full pass reads everything and then diffs id sets to find what OMI deleted (moved to the
// trash here and marked as deleted remotely; never purged). Each page is applied in one transaction,
// so a crash loses at most the page in hand and the next pass picks up from OMI again.
//
// Memories are compared three ways against remote_hash (the last version both sides agreed on):
//   remote unchanged                  -> nothing (a local edit is the relay's to push);
//   remote changed, local unchanged   -> the remote version is applied locally (a new version row);
//   both changed to the same thing    -> only the link is refreshed;
//   both changed differently          -> conflict: the local row keeps the user's version, OMI's is
//                                        kept in sync_conflicts until the user resolves it.
// A truncated (locked) remote text never replaces a fuller local one. Action items: see applyActionItem.
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers/promises';
import type { Db } from '../db/open';
import * as items from '../db/repos/action-items';
import { audit, type WriteContext } from '../db/repos/audit';
import { upsertConversation } from '../db/repos/conversations';
import { createMemory, deleteMemory, findMemory, updateMemory } from '../db/repos/memories';
import * as repo from '../db/repos/sync';
import { normalizeOmiConversation } from '../webhook/omi-conversation';
import type { OmiClient } from './client';
import { isFullerThan, isTruncated, memoryHash } from './hash';
import { enqueueActionItemSync, localHash, remoteHash, remoteValues } from './push-action-items';
import type { RemoteActionItem, RemoteMemory } from './schemas';

export interface PullCounts {
  created: number;
  updated: number;
  unchanged: number;
  conflicts: number;
  remoteDeleted: number;
}

export interface PullReport {
  memories: PullCounts;
  conversations: PullCounts;
  actionItems: PullCounts;
}

export interface PullOptions {
  full: boolean;
  memoryPage: number;
  conversationPage: number;
  actionItemPage: number;
}

const emptyCounts = (): PullCounts => ({ created: 0, updated: 0, unchanged: 0, conflicts: 0, remoteDeleted: 0 });

/**
 * How long one slice of a page may apply items before it commits. DESIGN.md §10 allows 50 ms of
 * blocking at a time; the commit that follows (writing and encrypting the dirtied pages) costs about
 * as much again, so the work itself gets well under half of that.
 */
const SLICE_MS = 10;

/**
 * Reads pages newest-first; `apply` returns true for an item already known. A page is applied in as
 * few transactions as the time budget allows: one durable commit per slice instead of per item (the
 * bench shows per-item fsyncs dominate otherwise), and the event loop gets a turn between slices, since
 * a whole page of conversations with their transcripts takes hundreds of milliseconds. A crash loses
 * at most the page in hand; the next pass reads it again.
 */
async function pages<T>(
  db: Db,
  fetchPage: (limit: number, offset: number) => Promise<T[]>,
  limit: number,
  full: boolean,
  apply: (item: T) => boolean,
): Promise<Set<T>> {
  const seen = new Set<T>();
  for (let offset = 0; ; offset += limit) {
    const page = await fetchPage(limit, offset);
    let known = false;
    for (let i = 0; i < page.length;) {
      const start = performance.now();
      db.transaction(() => {
        while (i < page.length) {
          const item = page[i++]!;
          seen.add(item);
          if (apply(item)) known = true;
          if (performance.now() - start >= SLICE_MS) break;
        }
      })();
      if (i < page.length) await setImmediate();
    }
    if (page.length < limit || (!full && known)) return seen;
  }
}

function applyMemory(db: Db, r: RemoteMemory, ctx: WriteContext, counts: PullCounts): boolean {
  const remote = { content: r.content, category: r.category, visibility: r.visibility, tags: r.tags };
  const remoteHash = memoryHash(remote);
  const now = ctx.now().toISOString();
  return db.transaction(() => {
    const link = repo.memoryByRemoteId(db, r.id);
    if (!link) {
      // A create whose answer we never saw (crash, timeout): adopt the copy instead of duplicating it.
      const sentBy = repo.memoryForSentContent(db, r.content);
      const pending = sentBy ? repo.memoryLink(db, sentBy) : repo.unlinkedMemoryWithContent(db, r.content);
      if (pending && (pending.remoteId === null || pending.remoteDeletedAt !== null)) {
        const local = findMemory(db, pending.id)!;
        // Linked at OMI's version: if ours differs in category or tags, the relay pushes it.
        repo.setMemoryRemote(db, pending.id, r.id, remoteHash);
        counts.updated++;
        return memoryHash(local) === remoteHash;
      }
      const created = createMemory(
        db,
        {
          content: r.content,
          category: r.category,
          visibility: r.visibility,
          tags: r.tags,
          conversationId: r.conversation_id,
          manuallyAdded: r.manually_added ?? false,
          origin: 'sync',
          createdAt: r.created_at ?? undefined,
        },
        ctx,
      );
      repo.setMemoryRemote(db, created.id, r.id, remoteHash);
      counts.created++;
      return false;
    }
    if (link.remoteDeletedAt) return true; // we deleted it on OMI ourselves; its answer may lag
    if (link.remoteHash === remoteHash) {
      counts.unchanged++;
      return true;
    }
    const local = findMemory(db, link.id)!;
    if (local.deletedAt) return true; // the user trashed it; the relay deletes it on OMI
    if (isFullerThan(local.content, r.content) || isTruncated(r.content)) {
      counts.unchanged++;
      return true;
    }
    // Our own edit whose answer was lost: OMI has what we sent, so that is the new common base.
    if (repo.sentContents(db, link.id).some((x) => x.hash === remoteHash)) {
      repo.setMemoryRemote(db, link.id, r.id, remoteHash);
      counts.unchanged++;
      return true;
    }
    const localHash = memoryHash(local);
    if (localHash === remoteHash) {
      repo.setMemoryRemote(db, link.id, r.id, remoteHash);
      counts.unchanged++;
    } else if (localHash === link.remoteHash) {
      updateMemory(db, link.id, remote, ctx);
      repo.setMemoryRemote(db, link.id, r.id, remoteHash);
      counts.updated++;
    } else {
      repo.recordConflict(
        db,
        { memoryId: link.id, remoteId: r.id, baseHash: link.remoteHash, remoteHash, remote },
        now,
      );
      counts.conflicts++;
    }
    return false;
  })();
}

function applyConversation(db: Db, raw: unknown, ctx: WriteContext, counts: PullCounts): boolean {
  const normalized = normalizeOmiConversation(raw);
  if (!normalized.ok) return false; // an item we cannot store; the rest of the page still counts
  const c = normalized.value;
  const link = repo.conversationLink(db, c.id);
  if (link) {
    if (link.remoteDeletedAt) repo.restoreRemoteConversation(db, c.id, ctx.now().toISOString());
    // A webhook delivery carries the full conversation; the API's copy is a subset and never
    // replaces it. A copy that came from sync is refreshed when OMI's changed (a revision is kept).
    if (link.origin !== 'sync') {
      counts.unchanged++;
      return true;
    }
    const { outcome } = upsertConversation(db, c, 'sync', ctx);
    counts[outcome === 'unchanged' ? 'unchanged' : 'updated']++;
    return outcome === 'unchanged';
  }
  upsertConversation(db, c, 'sync', ctx);
  counts.created++;
  return false;
}

/**
 * Action items get the same three-way compare against remote_hash as memories, except that when both
 * sides changed differently the later change wins (the other version is kept in the audit log): an
 * item is a line and a checkbox, not worth a conflict the user must resolve.
 */
function applyActionItem(db: Db, a: RemoteActionItem, ctx: WriteContext, counts: PullCounts): boolean {
  const hash = remoteHash(a);
  const values = remoteValues(a);
  const now = ctx.now().toISOString();
  let row = items.actionItemByRemoteId(db, a.id);
  if (!row) {
    // A create whose answer we never saw (crash, timeout): adopt OMI's copy instead of duplicating it.
    const sentBy = items.actionItemForSentDescription(db, a.description);
    const pending = sentBy === undefined ? undefined : items.findActionItem(db, sentBy);
    if (pending && (pending.remoteId === null || pending.remoteDeletedAt !== null)) {
      // Linked at OMI's version: if ours differs, the relay pushes it.
      items.setActionItemRemote(db, pending.pk, a.id, hash, a.conversation_id);
      counts.updated++;
      return localHash(pending) === hash;
    }
    items.insertRemoteActionItem(db, values, hash);
    counts.created++;
    return false;
  }
  if (row.remoteDeletedAt) {
    if (row.remoteHash === null) return true; // we deleted it on OMI ourselves; its answer may lag
    // Sync trashed it when OMI stopped listing it (locked, not deleted): it is back.
    items.applyRemoteActionItem(db, row.pk, values, hash);
    counts.updated++;
    return false;
  }
  if (row.remoteHash === hash) {
    // Items pulled before OMI's conversation id was kept get it now, so their conversation's copy
    // can find them.
    if (row.remoteConversationId === null && a.conversation_id !== null) {
      items.setRemoteConversation(db, row.pk, a.conversation_id);
    }
    counts.unchanged++;
    return true;
  }
  if (row.deletedAt) return true; // the user trashed it; the relay deletes it on OMI
  // Our own edit whose answer was lost: OMI has what we sent, so that is the new common base.
  if (items.actionItemSent(db, row.pk).some((x) => x.hash === hash)) {
    items.setActionItemRemote(db, row.pk, a.id, hash, a.conversation_id);
    row = items.findActionItem(db, row.pk)!;
    if (localHash(row) === hash) items.applyRemoteActionItem(db, row.pk, values, hash);
    counts.unchanged++;
    return true;
  }
  const mine = localHash(row);
  if (mine === hash || mine === row.remoteHash) {
    items.applyRemoteActionItem(db, row.pk, values, hash);
    counts[mine === hash ? 'unchanged' : 'updated']++;
  } else {
    const theirsLater = (a.updated_at ?? '') > (row.updatedAt ?? '');
    const lost = theirsLater
      ? { description: row.description, completed: row.completed, side: 'local' }
      : { description: a.description, completed: a.completed, side: 'omi' };
    if (theirsLater) items.applyRemoteActionItem(db, row.pk, values, hash);
    else {
      // OMI's version becomes the base, so the relay pushes ours over it.
      items.setActionItemRemote(db, row.pk, a.id, hash, a.conversation_id);
      enqueueActionItemSync(db, row.pk, 'conflict', now);
    }
    audit(db, ctx, 'conflict', 'action_item', String(row.pk), { kept: theirsLater ? 'omi' : 'local', lost });
    counts.conflicts++;
  }
  return false;
}

export async function pull(db: Db, client: OmiClient, ctx: WriteContext, options: PullOptions): Promise<PullReport> {
  const report: PullReport = { memories: emptyCounts(), conversations: emptyCounts(), actionItems: emptyCounts() };
  const now = () => ctx.now().toISOString();

  // Memories.
  const memories = await pages(
    db,
    (l, o) => client.listMemories(l, o),
    options.memoryPage,
    options.full,
    (r) => applyMemory(db, r, ctx, report.memories),
  );
  if (options.full) {
    const remoteIds = new Set([...memories].map((m) => m.id));
    db.transaction(() => {
      for (const link of repo.linkedMemories(db)) {
        if (remoteIds.has(link.remoteId)) continue;
        if (!link.deletedAt) deleteMemory(db, link.id, ctx);
        repo.markMemoryRemoteDeleted(db, link.id, now());
        repo.completeOpenJobsFor(db, `memory:${link.id}`, now());
        report.memories.remoteDeleted++;
      }
    })();
  }

  // Conversations: the API lists only completed, unlocked, non-discarded ones.
  const conversations = await pages(
    db,
    (l, o) => client.listConversations(l, o),
    options.conversationPage,
    options.full,
    (c) => applyConversation(db, c, ctx, report.conversations),
  );
  if (options.full) {
    const remoteIds = new Set([...conversations].map((c) => c.id));
    db.transaction(() => {
      for (const id of repo.remoteConversationIds(db)) {
        if (remoteIds.has(id)) continue;
        // Absent can also mean locked: only the trash, and a later listing restores it.
        repo.trashRemoteDeletedConversation(db, id, now());
        report.conversations.remoteDeleted++;
      }
    })();
  }

  // Standalone action items.
  const listed = await pages(
    db,
    (l, o) => client.listActionItems(l, o),
    options.actionItemPage,
    options.full,
    (a) => applyActionItem(db, a, ctx, report.actionItems),
  );
  if (options.full) {
    const remoteIds = new Set([...listed].map((a) => a.id));
    db.transaction(() => {
      for (const a of items.liveRemoteActionItems(db)) {
        if (remoteIds.has(a.remoteId)) continue;
        items.trashRemoteDeletedActionItem(db, a.pk, now());
        repo.completeOpenJobsFor(db, `action_item:${a.pk}`, now());
        report.actionItems.remoteDeleted++;
      }
    })();
  }
  return report;
}
