import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openTestDb, testContext, type TestDb } from '../../../../test/support/db';
import { normalizeOmiConversation } from '../../webhook/omi-conversation';
import { upsertConversation } from './conversations';
import { createMemory } from './memories';
import { memoryProvenance, memorySync } from './memory-provenance';
import { enqueueJob } from './sync';

const body = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/conversation-created.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

let t: TestDb;
beforeEach(() => {
  t = openTestDb();
});
afterEach(() => t.close());
const ctx = testContext('test');

test('provenance names the conversation and quotes the transcript lines of the memory', () => {
  const c = normalizeOmiConversation({
    ...body,
    transcript_segments: ['first line', 'second line', 'third line'].map((text, i) => ({
      text,
      start: i * 5,
      end: i * 5 + 4,
    })),
  });
  if (!c.ok) throw new Error(c.error.message);
  upsertConversation(t.db, c.value, 'webhook', ctx);
  const m = createMemory(
    t.db,
    { content: 'from the call', category: 'system', origin: 'webhook', conversationId: c.value.id },
    ctx,
  );
  // No segment range known: the conversation only.
  expect(memoryProvenance(t.db, m.id)).toEqual({
    conversationId: c.value.id,
    conversationTitle: c.value.title,
    lines: [],
  });
  t.db.prepare('UPDATE memories SET segment_start = 1, segment_end = 2 WHERE id = ?').run(m.id);
  expect(memoryProvenance(t.db, m.id)?.lines).toEqual([
    { index: 1, text: 'second line', startS: 5 },
    { index: 2, text: 'third line', startS: 10 },
  ]);
  // A conversation this vault has not received yet, and a memory written here.
  const orphan = createMemory(
    t.db,
    { content: 'x', category: 'system', origin: 'sync', conversationId: 'elsewhere' },
    ctx,
  );
  expect(memoryProvenance(t.db, orphan.id)).toEqual({
    conversationId: 'elsewhere',
    conversationTitle: null,
    lines: [],
  });
  const local = createMemory(t.db, { content: 'y', category: 'manual', origin: 'local' }, ctx);
  expect(memoryProvenance(t.db, local.id)).toBeNull();
});

test('sync state: local, pending, synced, failed, deleted on OMI, conflict', () => {
  const m = createMemory(t.db, { content: 'likes tea', category: 'system', origin: 'local' }, ctx);
  const state = () => memorySync(t.db, m.id);
  expect(state()).toEqual({ state: 'local', remoteId: null, lastError: null });
  t.db.prepare("UPDATE memories SET remote_id = 'r1', remote_hash = 'h' WHERE id = ?").run(m.id);
  expect(state()).toEqual({ state: 'synced', remoteId: 'r1', lastError: null });
  const now = new Date().toISOString();
  enqueueJob(t.db, { kind: 'omi.memory', entity: `memory:${m.id}`, idempotencyKey: 'k1', payload: {} }, now);
  expect(state().state).toBe('pending');
  t.db
    .prepare("UPDATE outbox SET state = 'dead', last_error = 'HTTP 422: content too long' WHERE idempotency_key = 'k1'")
    .run();
  expect(state()).toEqual({ state: 'failed', remoteId: 'r1', lastError: 'HTTP 422: content too long' });
  t.db.prepare("UPDATE outbox SET state = 'done' WHERE idempotency_key = 'k1'").run();
  t.db.prepare('UPDATE memories SET remote_deleted_at = ? WHERE id = ?').run(now, m.id);
  expect(state().state).toBe('deleted-remotely');
  t.db
    .prepare(
      `INSERT INTO sync_conflicts (memory_id, remote_id, remote_hash, remote_content, remote_category, remote_visibility, remote_tags, detected_at)
       VALUES (?, 'r1', 'h2', 'likes green tea', 'system', 'private', '[]', ?)`,
    )
    .run(m.id, now);
  expect(state().state).toBe('conflict');
});
