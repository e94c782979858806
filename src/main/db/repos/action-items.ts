// Action items outside a conversation's wholesale upsert: the user's edits (completed, description,
// the trash), and their link to OMI's copy (remote id, the hash of the version both sides last
// agreed on, OMI's conversation id, creates in flight). Two kinds of rows exist: a conversation's own
// items (conversation_id set; replaced whenever the conversation is) and standalone items pulled from
// OMI's action item list (remote_id set, remote_conversation_id naming their conversation). A child
// whose OMI copy has been pulled has a "twin": a change to the child is made to the twin as well and
// pushed from there, so OMI's item is edited, never created a second time.
import type { Db } from '../open';
import { stmt } from '../prepared';
import { AppError } from '../../errors';
import { audit, type WriteContext } from './audit';
import { readSyncState, writeSyncState } from './sync';

export interface ActionItemRow {
  pk: number;
  conversationId: string | null;
  remoteId: string | null;
  remoteConversationId: string | null;
  description: string;
  completed: boolean;
  createdAt: string | null;
  updatedAt: string | null;
  dueAt: string | null;
  completedAt: string | null;
  origin: string;
  deletedAt: string | null;
  remoteHash: string | null;
  remoteDeletedAt: string | null;
}

const SELECT = `SELECT pk, conversation_id AS conversationId, remote_id AS remoteId,
  remote_conversation_id AS remoteConversationId, description, completed, created_at AS createdAt,
  updated_at AS updatedAt, due_at AS dueAt, completed_at AS completedAt, origin, deleted_at AS deletedAt,
  remote_hash AS remoteHash, remote_deleted_at AS remoteDeletedAt FROM action_items`;

const toRow = (r: Omit<ActionItemRow, 'completed'> & { completed: number }): ActionItemRow => ({
  ...r,
  completed: r.completed === 1,
});

export function findActionItem(db: Db, pk: number): ActionItemRow | undefined {
  const row = stmt(db, `${SELECT} WHERE pk = ?`).get(pk) as Parameters<typeof toRow>[0] | undefined;
  return row && toRow(row);
}

export function actionItemByRemoteId(db: Db, remoteId: string): ActionItemRow | undefined {
  const row = stmt(db, `${SELECT} WHERE remote_id = ?`).get(remoteId) as Parameters<typeof toRow>[0] | undefined;
  return row && toRow(row);
}

/** The pulled OMI copy of a conversation's item: same OMI conversation, same text, still linked. */
export function findTwin(db: Db, child: ActionItemRow, description = child.description): ActionItemRow | undefined {
  if (child.conversationId === null || child.remoteId !== null) return undefined;
  const row = stmt(
    db,
    `${SELECT} WHERE remote_conversation_id = ? AND description = ? AND pk != ? AND remote_id IS NOT NULL
       AND remote_deleted_at IS NULL ORDER BY deleted_at IS NOT NULL, pk LIMIT 1`,
  ).get(child.conversationId, description, child.pk) as Parameters<typeof toRow>[0] | undefined;
  return row && toRow(row);
}

export interface ActionItemPatch {
  completed?: boolean;
  description?: string;
}

function write(db: Db, row: ActionItemRow, patch: ActionItemPatch, ctx: WriteContext): void {
  const now = ctx.now().toISOString();
  const completed = patch.completed ?? row.completed;
  // Completing stamps the time; reopening clears it, as OMI does.
  const completedAt = completed === row.completed ? row.completedAt : completed ? now : null;
  stmt(db, 'UPDATE action_items SET description = ?, completed = ?, completed_at = ?, updated_at = ? WHERE pk = ?').run(
    patch.description ?? row.description,
    completed ? 1 : 0,
    completedAt,
    now,
    row.pk,
  );
  audit(db, ctx, 'update', 'action_item', String(row.pk), {
    before: { description: row.description, completed: row.completed },
  });
}

/**
 * The user changes an item (and its twin, if it has one). Returns the changed item and the row whose
 * state is to be pushed to OMI: the twin when there is one. Call inside the change's transaction.
 */
export function updateActionItem(
  db: Db,
  pk: number,
  patch: ActionItemPatch,
  ctx: WriteContext,
): { item: ActionItemRow; pushPk: number } {
  const row = findActionItem(db, pk);
  if (!row || row.deletedAt) throw new AppError('NOT_FOUND', `action item ${pk} not found`);
  const twin = findTwin(db, row);
  write(db, row, patch, ctx);
  if (twin && !twin.deletedAt) write(db, twin, patch, ctx);
  return { item: findActionItem(db, pk)!, pushPk: twin ? twin.pk : pk };
}

/** Moves an item (and its twin) to the trash; the relay deletes OMI's copy. */
export function deleteActionItem(db: Db, pk: number, ctx: WriteContext): { item: ActionItemRow; pushPk: number } {
  const row = findActionItem(db, pk);
  if (!row || row.deletedAt) throw new AppError('NOT_FOUND', `action item ${pk} not found`);
  const twin = findTwin(db, row);
  const now = ctx.now().toISOString();
  for (const r of twin ? [row, twin] : [row]) {
    stmt(db, 'UPDATE action_items SET deleted_at = ?, updated_at = ? WHERE pk = ? AND deleted_at IS NULL').run(
      now,
      now,
      r.pk,
    );
    audit(db, ctx, 'delete', 'action_item', String(r.pk));
  }
  return { item: findActionItem(db, pk)!, pushPk: twin ? twin.pk : pk };
}

// ---- sync -----------------------------------------------------------------------------------------

export interface RemoteActionItemValues {
  remoteId: string;
  description: string;
  completed: boolean;
  createdAt: string | null;
  updatedAt: string | null;
  dueAt: string | null;
  completedAt: string | null;
  conversationId: string | null;
}

/**
 * A standalone item from OMI. It is stored without the local conversation link: an upsert of a
 * conversation replaces its children wholesale, and the conversation's own items arrive with it.
 */
export function insertRemoteActionItem(db: Db, a: RemoteActionItemValues, hash: string): void {
  stmt(
    db,
    `INSERT INTO action_items (description, completed, created_at, updated_at, due_at, completed_at, remote_hash,
       remote_id, remote_conversation_id, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'sync')`,
  ).run(
    a.description,
    a.completed ? 1 : 0,
    a.createdAt,
    a.updatedAt,
    a.dueAt,
    a.completedAt,
    hash,
    a.remoteId,
    a.conversationId,
  );
}

/** Writes OMI's version into a row and makes it the common base; a trashed row is restored. */
export function applyRemoteActionItem(
  db: Db,
  pk: number,
  a: Omit<RemoteActionItemValues, 'createdAt'>,
  hash: string,
): void {
  stmt(
    db,
    `UPDATE action_items SET description = ?, completed = ?, updated_at = ?, due_at = ?, completed_at = ?, remote_hash = ?,
       remote_id = ?, remote_conversation_id = coalesce(?, remote_conversation_id), deleted_at = NULL,
       remote_deleted_at = NULL WHERE pk = ?`,
  ).run(
    a.description,
    a.completed ? 1 : 0,
    a.updatedAt,
    a.dueAt,
    a.completedAt,
    hash,
    a.remoteId,
    a.conversationId,
    pk,
  );
  clearActionItemSent(db, pk);
}

/** Links a row to its OMI copy at the given base hash, leaving the row's values as they are. */
export function setActionItemRemote(
  db: Db,
  pk: number,
  remoteId: string,
  remoteHash: string,
  remoteConversationId: string | null,
): void {
  stmt(
    db,
    `UPDATE action_items SET remote_id = ?, remote_hash = ?, remote_conversation_id = coalesce(?, remote_conversation_id),
       remote_deleted_at = NULL WHERE pk = ?`,
  ).run(remoteId, remoteHash, remoteConversationId, pk);
  clearActionItemSent(db, pk);
}

export function setRemoteConversation(db: Db, pk: number, remoteConversationId: string): void {
  stmt(db, 'UPDATE action_items SET remote_conversation_id = ? WHERE pk = ?').run(remoteConversationId, pk);
}

/**
 * We deleted OMI's copy. The base hash is cleared too: that is how a late listing of the deleted copy
 * is told apart from an item sync trashed because OMI stopped listing it (that one keeps its base and
 * is restored when OMI lists it again).
 */
export function markActionItemDeletedOnOmi(db: Db, pk: number, now: string): void {
  stmt(db, 'UPDATE action_items SET remote_deleted_at = ?, remote_hash = NULL WHERE pk = ?').run(now, pk);
}

export function liveRemoteActionItems(db: Db): { pk: number; remoteId: string }[] {
  return stmt(
    db,
    'SELECT pk, remote_id AS remoteId FROM action_items WHERE remote_id IS NOT NULL AND deleted_at IS NULL AND remote_deleted_at IS NULL',
  ).all() as { pk: number; remoteId: string }[];
}

/** OMI no longer lists it: to the trash, marked as deleted remotely; never purged. */
export function trashRemoteDeletedActionItem(db: Db, pk: number, now: string): void {
  stmt(db, 'UPDATE action_items SET deleted_at = coalesce(deleted_at, ?), remote_deleted_at = ? WHERE pk = ?').run(
    now,
    now,
    pk,
  );
}

/** Linked items, for the push reconcile (their local state is compared with the base in JS). */
export function linkedActionItems(db: Db): ActionItemRow[] {
  return (
    stmt(
      db,
      `${SELECT} a WHERE remote_id IS NOT NULL AND remote_deleted_at IS NULL AND remote_hash IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.entity = 'action_item:' || a.pk AND o.state IN ('pending', 'leased', 'dead'))`,
    ).all() as Parameters<typeof toRow>[0][]
  ).map(toRow);
}

// ---- creates in flight ----------------------------------------------------------------------------
// OMI's action item ids are random, so a create sent twice makes two items. Before a create is sent,
// its description is recorded; one whose answer was lost is looked up on OMI before it is sent again.

export interface SentActionItem {
  description: string;
  hash: string;
  at: string;
}

const sentKey = (pk: number) => `action-item-sent:${pk}`;

export function noteActionItemSent(db: Db, pk: number, sent: SentActionItem): void {
  const list = actionItemSent(db, pk);
  if (list.some((x) => x.hash === sent.hash)) return;
  writeSyncState(db, sentKey(pk), JSON.stringify([...list, sent]), sent.at);
}

export function actionItemSent(db: Db, pk: number): SentActionItem[] {
  const v = readSyncState(db, sentKey(pk));
  return v ? (JSON.parse(v) as SentActionItem[]) : [];
}

export function clearActionItemSent(db: Db, pk: number): void {
  stmt(db, 'DELETE FROM sync_state WHERE key = ?').run(sentKey(pk));
}

/** The unlinked row whose create in flight sent this description, if any. */
export function actionItemForSentDescription(db: Db, description: string): number | undefined {
  const row = stmt(
    db,
    `SELECT CAST(substr(s.key, 18) AS INTEGER) AS pk FROM sync_state s, json_each(s.value) j
     WHERE s.key LIKE 'action-item-sent:%' AND json_extract(j.value, '$.description') = ? LIMIT 1`,
  ).get(description) as { pk: number } | undefined;
  return row?.pk;
}

/** Gives a conversation's item's state to its twin (the twin was pulled after the user's change). */
export function copyActionItemValues(db: Db, from: ActionItemRow, toPk: number, now: string): void {
  stmt(db, 'UPDATE action_items SET description = ?, completed = ?, completed_at = ?, updated_at = ? WHERE pk = ?').run(
    from.description,
    from.completed ? 1 : 0,
    from.completedAt,
    now,
    toPk,
  );
}
