// What OMI sync keeps in a profile's database: the outbox of jobs for OMI (enqueue, lease, finish,
// dead-letter, retry), key/value sync state (cursors, last success), the persisted circuit breaker,
// the link of each memory to its OMI copy (remote id and the hash of the last synced version) and
// conflicts. Plain functions over a db, like every repo; the sync engine decides what they mean.
import type { Db } from '../open';
import { stmt } from '../prepared';

// ---- sync_state -----------------------------------------------------------------------------------

export function readSyncState(db: Db, key: string): string | undefined {
  const row = stmt(db, 'SELECT value FROM sync_state WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function writeSyncState(db: Db, key: string, value: string, now: string): void {
  stmt(
    db,
    `INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  ).run(key, value, now);
}

// ---- breaker_state --------------------------------------------------------------------------------

export function readBreaker(db: Db, upstream: string): { state: string; snapshot: unknown } | undefined {
  const row = stmt(db, 'SELECT state, snapshot FROM breaker_state WHERE upstream = ?').get(upstream) as
    { state: string; snapshot: string } | undefined;
  return row && { state: row.state, snapshot: JSON.parse(row.snapshot) as unknown };
}

export function writeBreaker(db: Db, upstream: string, state: string, snapshot: unknown, now: string): void {
  stmt(
    db,
    `INSERT INTO breaker_state (upstream, state, snapshot, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (upstream) DO UPDATE SET state = excluded.state, snapshot = excluded.snapshot, updated_at = excluded.updated_at`,
  ).run(upstream, state, JSON.stringify(snapshot), now);
}

// ---- outbox ---------------------------------------------------------------------------------------

export interface OutboxJob {
  pk: number;
  kind: string;
  entity: string;
  idempotencyKey: string;
  payload: Record<string, unknown>;
  attempts: number;
  firstSentAt: string | null;
}

interface JobRow {
  pk: number;
  kind: string;
  entity: string;
  idempotency_key: string;
  payload: string;
  attempts: number;
  first_sent_at: string | null;
}

const toJob = (r: JobRow): OutboxJob => ({
  pk: r.pk,
  kind: r.kind,
  entity: r.entity,
  idempotencyKey: r.idempotency_key,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
  attempts: r.attempts,
  firstSentAt: r.first_sent_at,
});

/** Adds a job unless one with the same idempotency key exists. Call inside the change's transaction. */
export function enqueueJob(
  db: Db,
  job: { kind: string; entity: string; idempotencyKey: string; payload: unknown },
  now: string,
): void {
  stmt(
    db,
    `INSERT INTO outbox (kind, entity, idempotency_key, payload, state, next_attempt_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING`,
  ).run(job.kind, job.entity, job.idempotencyKey, JSON.stringify(job.payload), now, now, now);
}

/**
 * Leases up to `max` ready jobs of the given kinds, the oldest first and at most one per entity, skipping
 * entities that still have an earlier unfinished job (jobs for one item run in order). A lease whose
 * time has passed, or whose owner is `dead`, is ready again.
 */
export function leaseJobs(
  db: Db,
  args: {
    kinds: string[];
    max: number;
    now: string;
    leaseUntil: string;
    owner: string;
    isDeadOwner: (o: string) => boolean;
  },
): OutboxJob[] {
  return db.transaction(() => {
    const kinds = JSON.stringify(args.kinds);
    // Leases held by a process that no longer exists are released at once.
    const leased = stmt(db, "SELECT pk, lease_owner FROM outbox WHERE state = 'leased'").all() as {
      pk: number;
      lease_owner: string | null;
    }[];
    for (const l of leased) {
      if (l.lease_owner && l.lease_owner !== args.owner && args.isDeadOwner(l.lease_owner)) {
        stmt(db, "UPDATE outbox SET state = 'pending', lease_until = NULL, lease_owner = NULL WHERE pk = ?").run(l.pk);
      }
    }
    stmt(
      db,
      "UPDATE outbox SET state = 'pending', lease_until = NULL, lease_owner = NULL WHERE state = 'leased' AND lease_until <= ?",
    ).run(args.now);
    const rows = stmt(
      db,
      `SELECT pk, kind, entity, idempotency_key, payload, attempts, first_sent_at FROM outbox o
       WHERE state = 'pending' AND next_attempt_at <= ? AND kind IN (SELECT value FROM json_each(?))
         AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.entity = o.entity AND e.pk < o.pk AND e.state IN ('pending', 'leased'))
         AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.entity = o.entity AND e.state = 'leased')
       ORDER BY pk LIMIT ?`,
    ).all(args.now, kinds, args.max) as JobRow[];
    for (const r of rows) {
      stmt(
        db,
        `UPDATE outbox SET state = 'leased', lease_until = ?, lease_owner = ?, first_sent_at = coalesce(first_sent_at, ?),
         updated_at = ? WHERE pk = ?`,
      ).run(args.leaseUntil, args.owner, args.now, args.now, r.pk);
    }
    return rows.map(toJob);
  })();
}

export function completeJob(db: Db, pk: number, now: string): void {
  stmt(
    db,
    "UPDATE outbox SET state = 'done', lease_until = NULL, lease_owner = NULL, last_error = NULL, updated_at = ? WHERE pk = ?",
  ).run(now, pk);
}

/** A failed attempt: back to pending at `nextAttemptAt`, or dead when `dead`. */
export function failJob(
  db: Db,
  pk: number,
  args: { error: string; nextAttemptAt: string; dead: boolean; now: string },
): void {
  stmt(
    db,
    `UPDATE outbox SET state = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?, lease_until = NULL,
     lease_owner = NULL, updated_at = ? WHERE pk = ?`,
  ).run(args.dead ? 'dead' : 'pending', args.nextAttemptAt, args.error.slice(0, 500), args.now, pk);
}

/** Gives a lease back without counting an attempt (breaker open, credentials missing): nothing is lost. */
export function releaseJob(db: Db, pk: number, nextAttemptAt: string, now: string): void {
  stmt(
    db,
    "UPDATE outbox SET state = 'pending', lease_until = NULL, lease_owner = NULL, next_attempt_at = ?, updated_at = ? WHERE pk = ? AND state = 'leased'",
  ).run(nextAttemptAt, now, pk);
}

/** Makes an entity's waiting jobs ready now (a conflict was resolved). */
export function wakeJobsFor(db: Db, entity: string, now: string): void {
  stmt(db, "UPDATE outbox SET next_attempt_at = ?, updated_at = ? WHERE entity = ? AND state = 'pending'").run(
    now,
    now,
    entity,
  );
}

/** Finishes every unfinished job of an entity (its remote copy is gone; there is nothing left to push). */
export function completeOpenJobsFor(db: Db, entity: string, now: string): void {
  stmt(
    db,
    "UPDATE outbox SET state = 'done', lease_until = NULL, lease_owner = NULL, updated_at = ? WHERE entity = ? AND state IN ('pending', 'leased')",
  ).run(now, entity);
}

export interface DeadLetter {
  id: number;
  kind: string;
  entity: string;
  attempts: number;
  lastError: string | null;
  updatedAt: string;
}

export function listDeadLetters(db: Db, q: { limit: number; offset: number }): { items: DeadLetter[]; total: number } {
  const items = stmt(
    db,
    `SELECT pk AS id, kind, entity, attempts, last_error AS lastError, updated_at AS updatedAt FROM outbox
     WHERE state = 'dead' ORDER BY pk LIMIT ? OFFSET ?`,
  ).all(q.limit, q.offset) as DeadLetter[];
  const { n } = stmt(db, "SELECT count(*) AS n FROM outbox WHERE state = 'dead'").get() as { n: number };
  return { items, total: n };
}

/** Puts dead letters back in the queue with a fresh attempt count; returns how many. */
export function retryDeadLetters(db: Db, ids: number[] | 'all', now: string): number {
  if (ids === 'all') {
    return stmt(
      db,
      "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE state = 'dead'",
    ).run(now, now).changes;
  }
  let n = 0;
  for (const id of ids) {
    n += stmt(
      db,
      "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE state = 'dead' AND pk = ?",
    ).run(now, now, id).changes;
  }
  return n;
}

export function outboxCounts(db: Db, kinds: string[]): { backlog: number; dead: number; nextAttemptAt: string | null } {
  return stmt(
    db,
    `SELECT count(*) FILTER (WHERE state IN ('pending', 'leased')) AS backlog, count(*) FILTER (WHERE state = 'dead') AS dead,
       min(next_attempt_at) FILTER (WHERE state = 'pending') AS nextAttemptAt
     FROM outbox WHERE kind IN (SELECT value FROM json_each(?))`,
  ).get(JSON.stringify(kinds)) as { backlog: number; dead: number; nextAttemptAt: string | null };
}

/** Unfinished jobs, except those of memories held by an open conflict. */
export function waitingJobs(db: Db, kinds: string[]): number {
  return (
    stmt(
      db,
      `SELECT count(*) AS n FROM outbox o WHERE state IN ('pending', 'leased') AND kind IN (SELECT value FROM json_each(?))
       AND NOT EXISTS (SELECT 1 FROM sync_conflicts c WHERE 'memory:' || c.memory_id = o.entity AND c.resolved_at IS NULL)`,
    ).get(JSON.stringify(kinds)) as { n: number }
  ).n;
}

// ---- writes in flight -----------------------------------------------------------------------------
// A create or edit is recorded (memory id, content, hash of the sent values, time) before it is sent
// and forgotten once OMI's answer is stored: if the process dies or the answer is lost, the content
// tells which OMI memory a create made (even when the memory was edited or deleted locally since),
// and the hash tells that a changed OMI copy is our own edit, not a conflicting one.

export interface SentWrite {
  content: string;
  hash: string;
  at: string;
}

export function noteSent(db: Db, memoryId: string, sent: SentWrite): void {
  const list = sentContents(db, memoryId);
  if (list.some((x) => x.hash === sent.hash)) return;
  writeSyncState(db, `sent:${memoryId}`, JSON.stringify([...list, sent]), sent.at);
}

export function sentContents(db: Db, memoryId: string): SentWrite[] {
  const v = readSyncState(db, `sent:${memoryId}`);
  return v ? (JSON.parse(v) as SentWrite[]) : [];
}

export function clearSent(db: Db, memoryId: string): void {
  stmt(db, 'DELETE FROM sync_state WHERE key = ?').run(`sent:${memoryId}`);
}

/** The memory whose create in flight sent this content, if any. */
export function memoryForSentContent(db: Db, content: string): string | undefined {
  const row = stmt(
    db,
    `SELECT substr(s.key, 6) AS id FROM sync_state s, json_each(s.value) j
     WHERE s.key LIKE 'sent:%' AND json_extract(j.value, '$.content') = ? LIMIT 1`,
  ).get(content) as { id: string } | undefined;
  return row?.id;
}

// ---- memory links ---------------------------------------------------------------------------------

export interface MemoryLink {
  id: string;
  remoteId: string | null;
  remoteHash: string | null;
  remoteDeletedAt: string | null;
  deletedAt: string | null;
  origin: string;
}

const LINK = `SELECT id, remote_id AS remoteId, remote_hash AS remoteHash, remote_deleted_at AS remoteDeletedAt,
  deleted_at AS deletedAt, origin FROM memories`;

export function memoryLink(db: Db, id: string): MemoryLink | undefined {
  return stmt(db, `${LINK} WHERE id = ?`).get(id) as MemoryLink | undefined;
}

export function memoryByRemoteId(db: Db, remoteId: string): MemoryLink | undefined {
  return stmt(db, `${LINK} WHERE remote_id = ?`).get(remoteId) as MemoryLink | undefined;
}

/** A live local memory with this exact content that is not linked to OMI yet (a create in flight). */
export function unlinkedMemoryWithContent(db: Db, content: string): MemoryLink | undefined {
  return stmt(
    db,
    `${LINK} WHERE substr(content, 1, 64) = substr(?, 1, 64) AND content = ?
       AND (remote_id IS NULL OR remote_deleted_at IS NOT NULL) AND deleted_at IS NULL ORDER BY pk LIMIT 1`,
  ).get(content, content) as MemoryLink | undefined;
}

/** Another live memory already linked to an OMI memory with this content. */
export function linkedMemoryWithContent(db: Db, content: string, exceptId: string): MemoryLink | undefined {
  return stmt(
    db,
    `${LINK} WHERE substr(content, 1, 64) = substr(?, 1, 64) AND content = ? AND id != ?
       AND remote_id IS NOT NULL AND remote_deleted_at IS NULL AND deleted_at IS NULL LIMIT 1`,
  ).get(content, content, exceptId) as MemoryLink | undefined;
}

export function setMemoryRemote(db: Db, id: string, remoteId: string | null, remoteHash: string | null): void {
  stmt(db, 'UPDATE memories SET remote_id = ?, remote_hash = ?, remote_deleted_at = NULL WHERE id = ?').run(
    remoteId,
    remoteHash,
    id,
  );
  clearSent(db, id);
}

export function markMemoryRemoteDeleted(db: Db, id: string, now: string): void {
  stmt(db, 'UPDATE memories SET remote_deleted_at = ? WHERE id = ?').run(now, id);
}

/** Linked memories that OMI should still have (for the deletion diff). */
export function linkedMemories(db: Db): { id: string; remoteId: string; deletedAt: string | null }[] {
  return stmt(
    db,
    'SELECT id, remote_id AS remoteId, deleted_at AS deletedAt FROM memories WHERE remote_id IS NOT NULL AND remote_deleted_at IS NULL',
  ).all() as { id: string; remoteId: string; deletedAt: string | null }[];
}

/** Memories with local changes OMI has not seen (for the push reconcile after sync is switched on). */
export function unsyncedMemories(db: Db): string[] {
  return (
    stmt(
      db,
      `SELECT id FROM memories m WHERE
         ((origin = 'local' AND deleted_at IS NULL AND (remote_id IS NULL OR remote_deleted_at IS NOT NULL))
           OR (remote_id IS NOT NULL AND remote_deleted_at IS NULL AND deleted_at IS NOT NULL)
           OR (remote_id IS NOT NULL AND remote_deleted_at IS NULL AND edited = 1))
         -- A queued or dead-lettered job already covers it (a dead letter waits for the user).
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.entity = 'memory:' || m.id AND o.state IN ('pending', 'leased', 'dead'))`,
    ).all() as { id: string }[]
  ).map((r) => r.id);
}

// ---- conversations (action items are in action-items.ts) ------------------------------------------

export function conversationLink(
  db: Db,
  id: string,
): { origin: string; contentHash: string; deletedAt: string | null; remoteDeletedAt: string | null } | undefined {
  return stmt(
    db,
    `SELECT origin, content_hash AS contentHash, deleted_at AS deletedAt, remote_deleted_at AS remoteDeletedAt
     FROM conversations WHERE id = ?`,
  ).get(id) as ReturnType<typeof conversationLink>;
}

/** Conversations that came from OMI (webhook or sync) and are not known to be gone from it. */
export function remoteConversationIds(db: Db): string[] {
  return (
    stmt(
      db,
      "SELECT id FROM conversations WHERE origin IN ('webhook', 'sync') AND deleted_at IS NULL AND remote_deleted_at IS NULL",
    ).all() as { id: string }[]
  ).map((r) => r.id);
}

/** Moves a conversation to the trash because OMI no longer lists it. */
export function trashRemoteDeletedConversation(db: Db, id: string, now: string): void {
  stmt(db, 'UPDATE conversations SET deleted_at = ?, remote_deleted_at = ?, updated_at = ? WHERE id = ?').run(
    now,
    now,
    now,
    id,
  );
}

/** A conversation sync had trashed is listed by OMI again (it was locked, not deleted): restore it. */
export function restoreRemoteConversation(db: Db, id: string, now: string): void {
  stmt(
    db,
    'UPDATE conversations SET deleted_at = NULL, remote_deleted_at = NULL, updated_at = ? WHERE id = ? AND remote_deleted_at IS NOT NULL',
  ).run(now, id);
}

// ---- conflicts ------------------------------------------------------------------------------------

export interface ConflictRow {
  id: number;
  memoryId: string;
  remoteId: string;
  baseHash: string | null;
  remoteHash: string;
  remote: { content: string; category: string; visibility: string; tags: string[] };
  detectedAt: string;
}

interface ConflictDbRow {
  pk: number;
  memory_id: string;
  remote_id: string;
  base_hash: string | null;
  remote_hash: string;
  remote_content: string;
  remote_category: string;
  remote_visibility: string;
  remote_tags: string;
  detected_at: string;
}

const toConflict = (r: ConflictDbRow): ConflictRow => ({
  id: r.pk,
  memoryId: r.memory_id,
  remoteId: r.remote_id,
  baseHash: r.base_hash,
  remoteHash: r.remote_hash,
  remote: {
    content: r.remote_content,
    category: r.remote_category,
    visibility: r.remote_visibility,
    tags: JSON.parse(r.remote_tags) as string[],
  },
  detectedAt: r.detected_at,
});

export function openConflict(db: Db, memoryId: string): ConflictRow | undefined {
  const row = stmt(db, 'SELECT * FROM sync_conflicts WHERE memory_id = ? AND resolved_at IS NULL').get(memoryId) as
    ConflictDbRow | undefined;
  return row && toConflict(row);
}

/** Records (or refreshes, when OMI's side changed again) the open conflict of a memory. */
export function recordConflict(db: Db, c: Omit<ConflictRow, 'id' | 'detectedAt'>, now: string): void {
  stmt(
    db,
    `INSERT INTO sync_conflicts (memory_id, remote_id, base_hash, remote_hash, remote_content, remote_category, remote_visibility, remote_tags, detected_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (memory_id) WHERE resolved_at IS NULL DO UPDATE SET remote_hash = excluded.remote_hash,
       remote_content = excluded.remote_content, remote_category = excluded.remote_category,
       remote_visibility = excluded.remote_visibility, remote_tags = excluded.remote_tags`,
  ).run(
    c.memoryId,
    c.remoteId,
    c.baseHash,
    c.remoteHash,
    c.remote.content,
    c.remote.category,
    c.remote.visibility,
    JSON.stringify(c.remote.tags),
    now,
  );
}

export function listConflicts(db: Db): ConflictRow[] {
  return (stmt(db, 'SELECT * FROM sync_conflicts WHERE resolved_at IS NULL ORDER BY pk').all() as ConflictDbRow[]).map(
    toConflict,
  );
}

export function resolveConflict(db: Db, id: number, resolution: 'mine' | 'theirs' | 'edit', now: string): void {
  stmt(db, 'UPDATE sync_conflicts SET resolved_at = ?, resolution = ? WHERE pk = ?').run(now, resolution, id);
}
