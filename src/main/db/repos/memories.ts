// Memories: create, edit, soft delete, restore, purge; tags; version history. Every change that
// replaces content, category, visibility or tags first copies the previous state into
// memory_versions, so the history holds every earlier state and a version can be restored.
// Every mutation writes an audit row in the same transaction.
import { ulid } from 'ulid';
import type { Memory, MemoryVersion } from '../../../shared/models';
import { AppError } from '../../errors';
import type { Db } from '../open';
import { stmt } from '../prepared';
import { audit, type WriteContext } from './audit';

type Category = Memory['category'];
type Visibility = Memory['visibility'];
type Origin = Memory['origin'];

export interface NewMemory {
  id?: string;
  content: string;
  category: Category;
  visibility?: Visibility;
  tags?: string[];
  conversationId?: string | null;
  manuallyAdded?: boolean;
  origin: Origin;
  createdAt?: string;
}

export interface MemoryPatch {
  content?: string;
  category?: Category;
  visibility?: Visibility;
  tags?: string[];
}

interface Row {
  id: string;
  content: string;
  category: Category;
  visibility: Visibility;
  conversation_id: string | null;
  manually_added: number;
  reviewed: number;
  edited: number;
  origin: Origin;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  tags: string;
}

const SELECT = `
  SELECT m.*, (SELECT json_group_array(name) FROM (
    SELECT t.name FROM memory_tags mt JOIN tags t ON t.pk = mt.tag_pk WHERE mt.memory_id = m.id ORDER BY t.name
  )) AS tags
  FROM memories m`;

function toMemory(r: Row): Memory {
  return {
    id: r.id,
    content: r.content,
    category: r.category,
    visibility: r.visibility,
    tags: JSON.parse(r.tags) as string[],
    conversationId: r.conversation_id,
    manuallyAdded: r.manually_added === 1,
    reviewed: r.reviewed === 1,
    edited: r.edited === 1,
    origin: r.origin,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deletedAt: r.deleted_at,
  };
}

/** Trims, drops empties and case-insensitive duplicates, sorts: tags compare as sets. */
export function normalizeTags(tags: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const t of tags) {
    const name = t.trim();
    if (name && !seen.has(name.toLowerCase())) seen.set(name.toLowerCase(), name);
  }
  return [...seen.values()].sort((a, b) => a.localeCompare(b));
}

function addTags(db: Db, memoryId: string, tags: string[], now: string): void {
  for (const name of tags) {
    stmt(db, 'INSERT INTO tags (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(name, now);
    stmt(db, 'INSERT INTO memory_tags (memory_id, tag_pk) SELECT ?, pk FROM tags WHERE name = ?').run(memoryId, name);
  }
}

export function findMemory(db: Db, id: string): Memory | undefined {
  const row = stmt(db, `${SELECT} WHERE m.id = ?`).get(id) as Row | undefined;
  return row && toMemory(row);
}

export function getMemory(db: Db, id: string): Memory {
  const memory = findMemory(db, id);
  if (!memory) throw new AppError('NOT_FOUND', `no memory with id ${id}`);
  return memory;
}

export function createMemory(db: Db, input: NewMemory, ctx: WriteContext): Memory {
  const now = ctx.now().toISOString();
  const id = input.id ?? ulid();
  return db.transaction(() => {
    stmt(
      db,
      `INSERT INTO memories (id, content, category, visibility, conversation_id, manually_added, origin, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      input.content,
      input.category,
      input.visibility ?? 'private',
      input.conversationId ?? null,
      (input.manuallyAdded ?? input.origin === 'local') ? 1 : 0,
      input.origin,
      input.createdAt ?? now,
      now,
    );
    addTags(db, id, normalizeTags(input.tags ?? []), now);
    audit(db, ctx, 'create', 'memory', id);
    return getMemory(db, id);
  })();
}

function snapshot(db: Db, before: Memory, reason: string, ctx: WriteContext): void {
  const next = (
    stmt(db, 'SELECT coalesce(max(version), 0) + 1 AS v FROM memory_versions WHERE memory_id = ?').get(before.id) as {
      v: number;
    }
  ).v;
  stmt(
    db,
    `INSERT INTO memory_versions (memory_id, version, content, category, visibility, tags, changed_by, reason, changed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    before.id,
    next,
    before.content,
    before.category,
    before.visibility,
    JSON.stringify(before.tags),
    ctx.actor,
    reason,
    ctx.now().toISOString(),
  );
}

export function updateMemory(db: Db, id: string, patch: MemoryPatch, ctx: WriteContext): Memory {
  return db.transaction(() => {
    const before = getMemory(db, id);
    if (before.deletedAt) throw new AppError('CONFLICT', 'this memory is in the trash; restore it before editing');
    const after = {
      content: patch.content ?? before.content,
      category: patch.category ?? before.category,
      visibility: patch.visibility ?? before.visibility,
      tags: patch.tags ? normalizeTags(patch.tags) : before.tags,
    };
    // Tag names are case-insensitive in storage (an existing "b" absorbs "B"), so compare them that way.
    const comparable = (v: unknown) => JSON.stringify(Array.isArray(v) ? v.map((t: string) => t.toLowerCase()) : v);
    const changed = (Object.keys(after) as (keyof typeof after)[]).filter(
      (k) => comparable(after[k]) !== comparable(before[k]),
    );
    if (changed.length === 0) return before;
    const now = ctx.now().toISOString();
    snapshot(db, before, 'edit', ctx);
    stmt(
      db,
      'UPDATE memories SET content = ?, category = ?, visibility = ?, edited = 1, updated_at = ? WHERE id = ?',
    ).run(after.content, after.category, after.visibility, now, id);
    if (changed.includes('tags')) {
      stmt(db, 'DELETE FROM memory_tags WHERE memory_id = ?').run(id);
      addTags(db, id, after.tags, now);
    }
    audit(db, ctx, 'update', 'memory', id, { fields: changed });
    return getMemory(db, id);
  })();
}

export function deleteMemory(db: Db, id: string, ctx: WriteContext): Memory {
  return db.transaction(() => {
    const before = getMemory(db, id);
    if (before.deletedAt) return before;
    const now = ctx.now().toISOString();
    stmt(db, 'UPDATE memories SET deleted_at = ?, updated_at = ? WHERE id = ?').run(now, now, id);
    audit(db, ctx, 'delete', 'memory', id);
    return getMemory(db, id);
  })();
}

export function restoreMemory(db: Db, id: string, ctx: WriteContext): Memory {
  return db.transaction(() => {
    const before = getMemory(db, id);
    if (!before.deletedAt) return before;
    stmt(db, 'UPDATE memories SET deleted_at = NULL, updated_at = ? WHERE id = ?').run(ctx.now().toISOString(), id);
    audit(db, ctx, 'restore', 'memory', id);
    return getMemory(db, id);
  })();
}

/** Removes a trashed memory for good: its row, versions, tags and embeddings. */
export function purgeMemory(db: Db, id: string, ctx: WriteContext): void {
  db.transaction(() => {
    const before = getMemory(db, id);
    if (!before.deletedAt) throw new AppError('CONFLICT', 'only a memory in the trash can be purged');
    stmt(db, 'DELETE FROM memories WHERE id = ?').run(id);
    audit(db, ctx, 'purge', 'memory', id);
  })();
}

export function listVersions(db: Db, id: string): MemoryVersion[] {
  const rows = stmt(
    db,
    `SELECT version, content, category, tags, changed_by AS changedBy, reason, changed_at AS changedAt
     FROM memory_versions WHERE memory_id = ? ORDER BY version`,
  ).all(id) as (Omit<MemoryVersion, 'tags'> & { tags: string })[];
  return rows.map((r) => ({ ...r, tags: JSON.parse(r.tags) as string[] }));
}

export interface MemoryQuery {
  trash: boolean;
  tag?: string;
  /** Inclusive ISO timestamps on created_at. */
  from?: string;
  to?: string;
  /** Every one of these tags (case-insensitive). */
  tags?: string[];
  categories?: Category[];
  sources?: Origin[];
  limit: number;
  offset: number;
}

// One statement for every combination of filters (an absent filter binds NULL), so it is prepared once.
const MEMORY_FILTER = `WHERE (m.deleted_at IS NOT NULL) = ?
  AND (? IS NULL OR EXISTS (
    SELECT 1 FROM memory_tags mt JOIN tags t ON t.pk = mt.tag_pk WHERE mt.memory_id = m.id AND t.name = ?))
  AND (? IS NULL OR m.created_at >= ?)
  AND (? IS NULL OR m.created_at <= ?)
  AND (? IS NULL OR m.category IN (SELECT value FROM json_each(?)))
  AND (? IS NULL OR m.origin IN (SELECT value FROM json_each(?)))
  AND (? IS NULL OR (SELECT count(*) FROM memory_tags mt JOIN tags t ON t.pk = mt.tag_pk
    WHERE mt.memory_id = m.id AND t.name IN (SELECT value FROM json_each(?))) = json_array_length(?))`;

function memoryFilterArgs(q: MemoryQuery): unknown[] {
  const list = (values: readonly string[] | undefined) => (values?.length ? JSON.stringify(values) : null);
  // tags.name is COLLATE NOCASE, so `IN` matches case-insensitively; duplicates would inflate the count.
  const tags = q.tags?.length ? [...new Map(q.tags.map((t) => [t.toLowerCase(), t])).values()] : undefined;
  const tagList = list(tags);
  return [
    q.trash ? 1 : 0,
    q.tag ?? null,
    q.tag ?? null,
    q.from ?? null,
    q.from ?? null,
    q.to ?? null,
    q.to ?? null,
    list(q.categories),
    list(q.categories),
    list(q.sources),
    list(q.sources),
    tagList,
    tagList,
    tagList,
  ];
}

export function listMemories(db: Db, q: MemoryQuery): { items: Memory[]; total: number } {
  const args = memoryFilterArgs(q);
  const rows = stmt(db, `${SELECT} ${MEMORY_FILTER} ORDER BY m.created_at DESC, m.pk DESC LIMIT ? OFFSET ?`).all(
    ...args,
    q.limit,
    q.offset,
  ) as Row[];
  const { n } = stmt(db, `SELECT count(*) AS n FROM memories m ${MEMORY_FILTER}`).get(...args) as { n: number };
  return { items: rows.map(toMemory), total: n };
}

/** Tag names in use by memories, for the browse filter's suggestions. */
export function listTagNames(db: Db, limit = 1000): string[] {
  const rows = stmt(
    db,
    'SELECT t.name FROM tags t WHERE EXISTS (SELECT 1 FROM memory_tags mt WHERE mt.tag_pk = t.pk) ORDER BY t.name LIMIT ?',
  ).all(limit) as { name: string }[];
  return rows.map((r) => r.name);
}
