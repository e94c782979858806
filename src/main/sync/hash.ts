// The comparable identity of a memory's synced fields, for the three-way compare: the hash of the
// version last seen on both sides is stored as memories.remote_hash; a side whose hash differs from
// it has changed since.
import { createHash } from 'node:crypto';
import { normalizeTags } from '../db/repos/memories';

export interface MemoryValues {
  content: string;
  category: string;
  visibility: string;
  tags: readonly string[];
}

export function memoryHash(v: MemoryValues): string {
  const tags = normalizeTags(v.tags).map((t) => t.toLowerCase());
  return createHash('sha256')
    .update(JSON.stringify([v.content, v.category, v.visibility, tags]))
    .digest('hex');
}

/** OMI returns locked items cut to 70 characters plus "...". */
export function isTruncated(content: string): boolean {
  return content.endsWith('...') && content.length <= 80;
}

/** A truncated remote text must never replace a local one it is a prefix of. */
export function isFullerThan(local: string, remote: string): boolean {
  if (!isTruncated(remote)) return false;
  const prefix = remote.slice(0, -3);
  return local.length > prefix.length && local.startsWith(prefix);
}

/** The synced fields of an action item, in the shape both sides are compared in. */
export interface ActionItemValues {
  description: string;
  completed: boolean;
  dueAt: string | null;
  completedAt: string | null;
}

/** The same three-way base as memories get, stored as action_items.remote_hash. */
export function actionItemHash(a: ActionItemValues): string {
  return createHash('sha256')
    .update(JSON.stringify([a.description, a.completed, a.dueAt, a.completedAt]))
    .digest('hex');
}
