// The metrics ring buffer against a real profile database: latency percentiles from the inbox rows
// written since the previous sample, queue depths by kind, the hour-long ring, and locked profiles.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openTestDb, testContext, type TestDb } from '../../../test/support/db';
import { stmt } from '../db/prepared';
import { upsertConversation } from '../db/repos/conversations';
import { normalizeOmiConversation } from '../webhook/omi-conversation';
import { createMetrics, quantile } from './metrics';

let t: TestDb;
let clock: Date;
beforeEach(() => {
  t = openTestDb();
  clock = new Date('2026-03-01T10:00:00.000Z');
});
afterEach(() => t.close());

let inboxSeq = 0;
function delivered(...handlingMs: number[]): void {
  for (const ms of handlingMs) {
    inboxSeq++;
    stmt(
      t.db,
      `INSERT INTO webhook_inbox (kind, received_at, uid, idempotency_key, body_sha256, status, size, handling_ms)
       VALUES ('transcript', ?, NULL, ?, 'x', 'applied', 10, ?)`,
    ).run(clock.toISOString(), `k${inboxSeq}`, ms);
  }
}

function queued(kind: string, state: string, n: number): void {
  for (let i = 0; i < n; i++) {
    stmt(
      t.db,
      `INSERT INTO outbox (kind, idempotency_key, payload, state, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, '{}', ?, ?, ?, ?)`,
    ).run(kind, `${kind}-${state}-${i}`, state, clock.toISOString(), clock.toISOString(), clock.toISOString());
  }
}

function metrics(capacity?: number, open = () => t.db as TestDb['db'] | undefined) {
  return createMetrics({ now: () => clock, open, capacity });
}

test('quantile takes the nearest rank', () => {
  expect(quantile([], 0.5)).toBeNull();
  expect(quantile([7], 0.99)).toBe(7);
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  expect(quantile(hundred, 0.5)).toBe(50);
  expect(quantile(hundred, 0.99)).toBe(99);
});

test('a sample counts only deliveries since the previous one, with their p50 and p99', async () => {
  delivered(500, 500); // history before the first sample is not part of the series
  const m = metrics();
  expect(await m.sample('p', t.db)).toMatchObject({ deliveries: 0, ingestP50Ms: null, ingestP99Ms: null });
  delivered(...Array.from({ length: 100 }, (_, i) => i + 1));
  clock = new Date(clock.getTime() + 10_000);
  expect(await m.sample('p', t.db)).toMatchObject({ deliveries: 100, ingestP50Ms: 50, ingestP99Ms: 99 });
  clock = new Date(clock.getTime() + 10_000);
  expect(await m.sample('p', t.db)).toMatchObject({ deliveries: 0, ingestP50Ms: null });
  expect(m.series('p').samples.map((s) => s.at)).toEqual([
    '2026-03-01T10:00:00.000Z',
    '2026-03-01T10:00:10.000Z',
    '2026-03-01T10:00:20.000Z',
  ]);
});

test('queue depths: outbox backlog by kind, embedding jobs and unindexed transcript segments', async () => {
  queued('memory', 'pending', 3);
  queued('memory', 'leased', 1);
  queued('memory', 'done', 5);
  queued('embed', 'pending', 2);
  queued('embed', 'dead', 4);
  const body = JSON.parse(
    readFileSync(new URL('../../../test/fixtures/conversation-created.json', import.meta.url), 'utf8'),
  ) as unknown;
  const conversation = normalizeOmiConversation(body);
  if (!conversation.ok) throw new Error(conversation.error.message);
  upsertConversation(t.db, conversation.value, 'webhook', testContext('webhook'));
  const segments = (stmt(t.db, 'SELECT count(*) AS n FROM transcript_segments').get() as { n: number }).n;
  expect(segments).toBeGreaterThan(0);

  const s = await metrics().sample('p', t.db);
  expect(s.outbox).toEqual({ embed: 2, memory: 4 });
  expect(s.embeddingBacklog).toBe(2);
  expect(s.segmentBacklog).toBe(segments);
});

test('the ring keeps the newest samples, oldest first', async () => {
  const m = metrics(3);
  for (let i = 0; i < 5; i++) {
    clock = new Date(Date.UTC(2026, 2, 1, 10, 0, i * 10));
    delivered(i + 1);
    await m.sample('p', t.db);
  }
  const { samples, intervalMs } = m.series('p');
  expect(intervalMs).toBe(10_000);
  expect(samples.map((s) => s.at)).toEqual([
    '2026-03-01T10:00:20.000Z',
    '2026-03-01T10:00:30.000Z',
    '2026-03-01T10:00:40.000Z',
  ]);
  expect(samples.map((s) => s.ingestP50Ms)).toEqual([3, 4, 5]);
});

test('sampleAll samples open profiles and drops the series of a locked one', async () => {
  let open = true;
  const m = metrics(undefined, () => (open ? t.db : undefined));
  await m.sample('p', t.db);
  await m.sampleAll();
  expect(m.series('p').samples).toHaveLength(2);
  open = false;
  await m.sampleAll();
  expect(m.series('p').samples).toEqual([]);
  expect(m.series('unknown')).toEqual({ intervalMs: 10_000, samples: [] });
});

test('a large outbox is counted in ranges, with turns of the event loop between them', async () => {
  t.db.transaction(() => queued('embed', 'pending', 25_000))();
  queued('memory', 'dead', 3);
  const m = metrics();
  let turned = false;
  const sampling = m.sample('p', t.db);
  setImmediate(() => (turned = true));
  const s = await sampling;
  expect(turned).toBe(true);
  expect(s.outbox).toEqual({ embed: 25_000 });
});
