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
// A truncated (locked) remote text never replaces a fuller local one.
import { createHash } from 'node:crypto';
import type { Db } from '../db/open';
import type { WriteContext } from '../db/repos/audit';
import { upsertConversation } from '../db/repos/conversations';
import { createMemory, deleteMemory, findMemory, updateMemory } from '../db/repos/memories';
import * as repo from '../db/repos/sync';
import { normalizeOmiConversation } from '../webhook/omi-conversation';
import type { OmiClient } from './client';
import { isFullerThan, isTruncated, memoryHash } from './hash';
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
 * Reads pages newest-first; `apply` returns true for an item already known. Each page is applied in
 * one transaction: one durable commit per page instead of per item (the bench shows the per-item
 * fsyncs dominate otherwise), and a crash still loses at most the page in hand.
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
    db.transaction(() => {
      for (const item of page) {
        seen.add(item);
        if (apply(item)) known = true;
      }
    })();
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

function actionItemHash(a: RemoteActionItem): string {
  return createHash('sha256')
    .update(JSON.stringify([a.description, a.completed, a.due_at, a.completed_at]))
    .digest('hex');
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
  const items = await pages(
    db,
    (l, o) => client.listActionItems(l, o),
    options.actionItemPage,
    options.full,
    (a) => {
      const outcome = repo.upsertRemoteActionItem(db, {
        remoteId: a.id,
        description: a.description,
        completed: a.completed,
        createdAt: a.created_at,
        updatedAt: a.updated_at,
        dueAt: a.due_at,
        completedAt: a.completed_at,
        conversationId: a.conversation_id,
        hash: actionItemHash(a),
      });
      report.actionItems[outcome]++;
      return outcome === 'unchanged';
    },
  );
  if (options.full) {
    const remoteIds = new Set([...items].map((a) => a.id));
    db.transaction(() => {
      for (const a of repo.liveRemoteActionItems(db)) {
        if (remoteIds.has(a.remoteId)) continue;
        repo.trashRemoteDeletedActionItem(db, a.pk, now());
        report.actionItems.remoteDeleted++;
      }
    })();
  }
  return report;
}
